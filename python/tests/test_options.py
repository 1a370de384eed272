"""How computations run: `vec`, `num_threads`, `explain`, `no_codegen`, and `distributed` on
real `DistributedWorker` processes (127.0.0.1, port 0, bounded waits, always stopped)."""

import os
import subprocess
import threading

import numpy as np
import pytest

from daphne.context.daphne_context import DaphneContext


def w1(dc, X):
    x = dc.from_numpy(X)
    return ((x * 2 + 1) ** 2 / (x + 3)).sum()


def test_vec_gives_the_same_result():
    X = np.random.default_rng(1).random((2000, 50))
    plain = w1(DaphneContext(), X).compute()
    vec = w1(DaphneContext(vec=True, num_threads=2), X).compute()
    ref = (((X * 2 + 1) ** 2) / (X + 3)).sum()
    assert abs(plain - ref) <= 1e-9 * abs(ref)
    assert abs(vec - ref) <= 1e-9 * abs(ref)
    assert w1(DaphneContext(), X).compute(vec=True, no_codegen=True) == pytest.approx(ref, rel=1e-12)


def test_vec_matrix_result_and_print(capsys):
    dc = DaphneContext(vec=True)
    X = np.arange(12.0).reshape(4, 3)
    out = (dc.from_numpy(X) * 2 + 1).compute()
    np.testing.assert_array_equal(out, X * 2 + 1)
    (dc.from_numpy(X) + 1).print().compute()
    assert capsys.readouterr().out == "DenseMatrix(4x3, double)\n1 2 3\n4 5 6\n7 8 9\n10 11 12\n"


def test_explain_goes_to_stderr(capsys):
    dc = DaphneContext()
    dc.fill(1.0, 2, 2).sum().compute(explain=["parsing", "vectorized"], vec=True)
    err = capsys.readouterr().err
    assert err.startswith("IR after parsing:\n")
    assert "IR after vectorization:\n" in err
    assert err.count('"daphne.saveDaphneLibResult"') == 2
    assert capsys.readouterr().out == ""


def test_environment_turns_on_vec(monkeypatch):
    monkeypatch.setenv("DAPHNELIB_VEC", "1")
    assert DaphneContext()._defaults.get("vec") is True


class Workers:
    """`n` DistributedWorker processes on free loopback ports."""

    def __init__(self, exe, n):
        self.procs, self.addrs = [], []
        try:
            for _ in range(n):
                p = subprocess.Popen([exe, "--exit-with-stdin", "--num-threads", "1", "127.0.0.1:0"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                self.procs.append(p)
                line = []
                t = threading.Thread(target=lambda: line.append(p.stdout.readline().decode()), daemon=True)
                t.start()
                t.join(timeout=30)
                assert line, "a worker did not start within 30 s"
                banner = line[0].strip()
                assert banner.startswith("Started Distributed Worker on `"), banner
                self.addrs.append(banner.split("`")[1])
        except BaseException:
            self.stop()
            raise

    def stop(self):
        for p in self.procs:
            try:
                p.stdin.close()
            except OSError:
                pass
            p.kill()
            p.wait(timeout=30)


def test_distributed_on_two_workers(worker_bin, monkeypatch, capsys):
    workers = Workers(worker_bin, 2)
    try:
        monkeypatch.setenv("DISTRIBUTED_WORKERS", ",".join(workers.addrs))
        X = np.random.default_rng(2).random((3000, 20))
        dc = DaphneContext(distributed=True, dist_min_bytes=0)
        got = w1(dc, X).compute(dist_stats=True)
        stats = capsys.readouterr().err
        assert "daphne: distributed on 2 workers: 1 pipelines on workers, 0 on the coordinator; sent 2 objects" in stats
        assert got == pytest.approx(w1(DaphneContext(), X).compute(), rel=1e-12)
        out = (dc.from_numpy(X) * 3).compute()
        np.testing.assert_array_equal(out, X * 3)
        means = dc.from_numpy(X).mean(axis=1).compute()
        np.testing.assert_allclose(means, X.mean(axis=0, keepdims=True), rtol=1e-12)
    finally:
        workers.stop()


def test_distributed_without_workers(monkeypatch):
    monkeypatch.delenv("DISTRIBUTED_WORKERS", raising=False)
    from daphne import DaphneError

    X = np.ones((100, 10))
    with pytest.raises(DaphneError, match="DISTRIBUTED_WORKERS"):
        w1(DaphneContext(distributed=True, dist_min_bytes=0), X).compute()
