"""Every API function against DaphneDSL: each `pairs/<name>.py` must print, byte for byte, what
its twin `pairs/<name>.daph` prints when the `daphne` command runs it (both run in a fresh
directory, as separate processes, the way DAPHNE's own DaphneLib tests run)."""

import glob
import os
import subprocess
import sys

import pytest

PAIRS = os.path.join(os.path.dirname(__file__), "pairs")
NAMES = sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(PAIRS, "*.py")))


def test_every_pair_has_a_twin():
    assert len(NAMES) >= 14
    for n in NAMES:
        assert os.path.exists(os.path.join(PAIRS, n + ".daph")), n


@pytest.mark.parametrize("name", NAMES)
def test_pair_prints_what_daphnedsl_prints(name, daphne_bin, tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(os.path.dirname(__file__), "..") + os.pathsep + env.get("PYTHONPATH", "")
    py = subprocess.run([sys.executable, os.path.join(PAIRS, name + ".py")], cwd=tmp_path, capture_output=True,
                        timeout=300, env=env)
    dsl = subprocess.run([daphne_bin, os.path.join(PAIRS, name + ".daph")], cwd=tmp_path, capture_output=True,
                         timeout=300)
    assert dsl.returncode == 0, dsl.stderr.decode()
    assert py.returncode == 0, py.stderr.decode()
    assert py.stderr == b""
    assert dsl.stdout.count(b"\n") >= 5
    assert py.stdout.decode() == dsl.stdout.decode()
