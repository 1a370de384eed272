"""A 1 GiB NumPy input is not copied: a fresh interpreter holding the array runs a computation
over it and a direct round trip, and its peak resident memory grows by far less than the array
(a copy would add another GiB)."""

import os
import subprocess
import sys

PROGRAM = r"""
import resource, numpy as np
from daphne.context.daphne_context import DaphneContext

def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

dc = DaphneContext()
dc.fill(1.0, 2, 2).sum().compute()          # load and warm up the runtime
X = np.ones((1 << 27,), dtype=np.float64)    # 1 GiB, every page touched
X[-1] = 2.0
before = peak_mib()
total = dc.from_numpy(X).sum().compute()     # read in place
same = dc.from_numpy(X).compute()            # handed back as a view
print(before, peak_mib(), total, np.shares_memory(same, X), same.shape)
"""


def test_one_gib_input_is_not_copied():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(os.path.dirname(__file__), "..") + os.pathsep + env.get("PYTHONPATH", "")
    p = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, timeout=600, env=env)
    assert p.returncode == 0, p.stderr.decode()
    before, after, total, shared, *shape = p.stdout.decode().split()
    assert float(total) == float((1 << 27) + 1)
    assert shared == "True"
    grew = float(after) - float(before)
    assert grew < 128, f"peak RSS grew by {grew:.0f} MiB over a 1024 MiB input"
