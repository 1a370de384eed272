#!/usr/bin/env python3
"""Reads benchmark: W1 over a matrix read from a file, `X = readMatrix(f); sum((X*2+1)^2/(X+3))`,
in CSV (with .meta), .dbin and Parquet, with

  daphne --vec        the file read and the pipeline run on this process (all cores)
  dist, workers read  daphne --distributed on two local workers started with --data-dir: each reads
                      its row block of the file; the coordinator reads the .meta/header/footer only
  dist, shipped       the same on two workers without --data-dir: the coordinator reads the file and
                      sends the rows (what happened before reads on the workers)
  numpy               np.loadtxt (CSV) and np.fromfile (.dbin, skipping its 24-byte header); Parquet
                      has no NumPy reader (pyarrow is not installed here), so that cell is empty

interleaved (each repetition runs every system once, the first one rotating). Times are measured
inside the scripts: `read` is readMatrix (for the distributed runs: the workers' read, or the
coordinator's), `compute` the pipeline (for `shipped`, sending X's rows included); the table gives
median read + compute seconds, and the ratios. The data (--rows x --cols f64, default 400000 x 25,
80 MB of cells) is written once by daphne itself into a temporary directory.

  python3 bench/reads.py [--rows N] [--cols M] [--reps R] [--formats csv,dbin,parquet]

Needs a release build (`cargo build --release`) and NumPy for its column (`python3 -m pip install
numpy`); without NumPy that column is left out.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / "target" / "release"
BANNER = re.compile(r"Started Distributed Worker on `([^`]+)`")
SENT = re.compile(r"sent \d+ objects \((\d+) bytes\)")
READ = re.compile(r"read (\d+) files on the workers, (\d+) on the coordinator instead")

SCRIPT = """t0 = now();
X = readMatrix("{path}");
t1 = now();
s = sum((X * 2 + 1) ^ 2 / (X + 3));
t2 = now();
print("RESULT value=" + s);
print("TIME read=" + as.f64(t1 - t0) / 1000000000.0 + " compute=" + as.f64(t2 - t1) / 1000000000.0);
"""

NUMPY = """import sys, time, numpy as np
path = sys.argv[1]; rows = int(sys.argv[2]); cols = int(sys.argv[3])
t0 = time.perf_counter()
if path.endswith(".csv"):
    X = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
else:
    X = np.fromfile(path, dtype="<f8", offset=24).reshape(rows, cols)
t1 = time.perf_counter()
s = np.sum((X * 2 + 1) ** 2 / (X + 3))
t2 = time.perf_counter()
print(f"RESULT value={float(s)!r}")
print(f"TIME read={t1 - t0:.4f} compute={t2 - t1:.4f}")
"""


def start_workers(n: int, extra: list[str]) -> tuple[list[subprocess.Popen], list[str]]:
    procs, addrs = [], []
    threads = max(1, (os.cpu_count() or 2) // n)
    for _ in range(n):
        p = subprocess.Popen(
            [str(BIN / "DistributedWorker"), "--exit-with-stdin", "--num-threads", str(threads), *extra, "127.0.0.1:0"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        procs.append(p)
        line = p.stdout.readline() if p.stdout else ""
        m = BANNER.search(line)
        if not m:
            raise SystemExit(f"a worker did not start: {line!r}")
        addrs.append(m.group(1))
    return procs, addrs


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, str]:
    e = dict(os.environ)
    e.pop("DISTRIBUTED_WORKERS", None)
    e.update(env or {})
    out = subprocess.run(argv, env=e, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise SystemExit(f"{argv} failed ({out.returncode}):\n{out.stderr}")
    value = float(re.search(r"RESULT value=(\S+)", out.stdout).group(1))
    t = re.search(r"TIME read=(\S+) compute=(\S+)", out.stdout)
    return float(t.group(1)), float(t.group(2)), value, out.stderr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=400000)
    ap.add_argument("--cols", type=int, default=25)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--formats", default="csv,dbin,parquet")
    args = ap.parse_args()
    for b in ("daphne", "DistributedWorker"):
        if not (BIN / b).exists():
            raise SystemExit(f"{BIN / b} is missing: run `cargo build --release` first")
    try:
        import numpy  # noqa: F401
        have_numpy = True
    except ImportError:
        have_numpy = False
        print("NumPy is not installed: its column is left out (python3 -m pip install numpy)", file=sys.stderr)
    formats = args.formats.split(",")
    with tempfile.TemporaryDirectory(prefix="daphne-reads-bench-") as tmp:
        data = Path(tmp)
        gen = data / "gen.daph"
        gen.write_text(
            f"X = rand({args.rows}, {args.cols}, 0.0, 1.0, 1.0, 7);\n"
            + "".join(f'write(X, "{data}/x.{f}");\n' for f in formats)
        )
        subprocess.run([str(BIN / "daphne"), str(gen)], check=True)
        for f in formats:
            print(f"x.{f}: {(data / f'x.{f}').stat().st_size / 1e6:.1f} MB", file=sys.stderr)
        (data / "np.py").write_text(NUMPY)
        readers, raddrs = start_workers(2, ["--data-dir", tmp])
        shippers, saddrs = start_workers(2, [])
        systems = ["vec", "read", "ship"] + (["numpy"] if have_numpy else [])
        results: dict[tuple[str, str], list[tuple[float, float]]] = {}
        values: dict[tuple[str, str], float] = {}
        notes: dict[tuple[str, str], str] = {}
        try:
            for f in formats:
                path = data / f"x.{f}"
                script = data / f"w1_{f}.daph"
                script.write_text(SCRIPT.format(path=path))
                for rep in range(args.reps):
                    order = systems[rep % len(systems):] + systems[: rep % len(systems)]
                    for s in order:
                        if s == "numpy" and f == "parquet":
                            continue
                        d = BIN / "daphne"
                        if s == "vec":
                            r = run([str(d), "--vec", str(script)])
                        elif s == "read":
                            r = run([str(d), "--distributed", "--dist-stats", str(script)],
                                    {"DISTRIBUTED_WORKERS": ",".join(raddrs)})
                        elif s == "ship":
                            r = run([str(d), "--distributed", "--dist-stats", str(script)],
                                    {"DISTRIBUTED_WORKERS": ",".join(saddrs)})
                        else:
                            r = run([sys.executable, str(data / "np.py"), str(path), str(args.rows), str(args.cols)])
                        results.setdefault((f, s), []).append((r[0], r[1]))
                        values[(f, s)] = r[2]
                        sent, read = SENT.search(r[3]), READ.search(r[3])
                        if sent and read:
                            notes[(f, s)] = f"sent {int(sent.group(1)) / 1e6:.0f} MB, read on workers {read.group(1)}"
                        print(f"{f} {s} rep {rep + 1}: read {r[0]:.3f} s compute {r[1]:.3f} s", file=sys.stderr)
        finally:
            for p in readers + shippers:
                p.kill()
                p.wait()
    med = {k: statistics.median(a + b for a, b in v) for k, v in results.items()}
    print(f"\nW1 over a {args.rows}x{args.cols} f64 file, read + compute seconds, medians of {args.reps}\n")
    print("| format | daphne --vec | dist, workers read | dist, shipped | numpy | shipped / workers read | numpy / workers read | vec / workers read |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for f in formats:
        cell = lambda s: f"{med[(f, s)]:.3f} s" if (f, s) in med else ""  # noqa: E731
        ratio = lambda s: f"{med[(f, s)] / med[(f, 'read')]:.2f}x" if (f, s) in med else ""  # noqa: E731
        print(f"| {f} | {cell('vec')} | {cell('read')} | {cell('ship')} | {cell('numpy')} | {ratio('ship')} | {ratio('numpy')} | {ratio('vec')} |")
    print()
    for (f, s), n in sorted(notes.items()):
        print(f"{f} {s}: {n}")
    base = {f: values[(f, "vec")] for f in formats}
    worst = max(abs(v - base[f]) / abs(base[f]) for (f, _), v in values.items())
    print(f"largest relative difference of the results from daphne --vec of the same file: {worst:.2e}")


if __name__ == "__main__":
    main()
