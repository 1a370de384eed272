#!/usr/bin/env python3
"""W1 and W5 from Python: the DaphneLib API (this repository's package, in-process) against
NumPy on the same NumPy input, in the same interpreter, interleaved.

  W1  sum((X * 2 + 1) ^ 2 / (X + 3))            X: n x m (default 20000 x 5000, 800 MB)
  W5  k-means (Lloyd), k = 10, 20 iterations     X: n x m (default 1e6 x 20, 160 MB)

The input is generated once by NumPy and handed to DAPHNE with `from_numpy` (viewed in place,
not copied). A DAPHNE time is the wall time of `compute()`: building the script, compiling it,
running it and returning the result; NumPy's is its computation. Reported: medians over --reps
runs, the ratio NumPy / DAPHNE (> 1: DAPHNE is faster) and the relative difference of the
results. NumPy runs with its default threads (its BLAS may use every core; elementwise code is
single-threaded); DAPHNE with `vec=True` (all cores) and plainly (`--plain` also).

Needs the package built in release mode: DAPHNE_PYTHON_PROFILE=release bash scripts/setup.sh
Usage: .venv/bin/python bench/python.py [--reps 3] [--scale 1.0] [--only W1,W5] [--plain]
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

from daphne import _native  # noqa: E402
from daphne.context.daphne_context import DaphneContext  # noqa: E402


def w1_numpy(X):
    return float(np.sum((X * 2 + 1) ** 2 / (X + 3)))


def w1_daphne(dc, X):
    x = dc.from_numpy(X)
    return float(((x * 2 + 1) ** 2 / (x + 3)).sum().compute())


K, ITERS = 10, 20


def w5_numpy(X):
    C = X[:K].copy()
    for _ in range(ITERS):
        D = -2.0 * (X @ C.T) + (C ** 2).sum(axis=1)
        minD = D.min(axis=1, keepdims=True)
        P = (D <= minD).astype(np.float64)
        P /= P.sum(axis=1, keepdims=True)
        C = (P.T @ X) / P.sum(axis=0)[:, None]
    return float((X ** 2).sum() + minD.sum())


def w5_daphne(dc, X):
    x = dc.from_numpy(X)
    n = X.shape[0]

    def body(C, minD, i):
        D = (-2.0) * (x @ C.t()) + (C ** 2).sum(axis=0).t()
        minD = D.aggMin(axis=0)
        P = D <= minD
        P = P / P.sum(axis=0)
        C = (P.t() @ x) / P.sum(axis=1).t()
        return C, minD

    C, minD = dc.for_loop([x[0:K, :], dc.fill(0.0, n, 1)], body, 1, ITERS)
    return float(((x ** 2).sum() + minD.sum()).compute())


WORKLOADS = {
    "W1": ("sum((X*2+1)^2/(X+3))", (20000, 5000), w1_numpy, w1_daphne),
    "W5": ("k-means, k=10, 20 iterations", (1000000, 20), w5_numpy, w5_daphne),
}


def timed(f, *args):
    t0 = time.perf_counter()
    v = f(*args)
    return time.perf_counter() - t0, v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the rows by this")
    ap.add_argument("--only", default="W1,W5")
    ap.add_argument("--plain", action="store_true", help="also run DAPHNE without vec")
    args = ap.parse_args()
    if _native.build_profile() != "release":
        print("bench/python.py: the package is a debug build; build it with "
              "DAPHNE_PYTHON_PROFILE=release bash scripts/setup.sh", file=sys.stderr)
        return 2
    systems = [("daphne-vec", DaphneContext(vec=True))]
    if args.plain:
        systems.append(("daphne", DaphneContext()))
    print(f"# {os.cpu_count()} cores, NumPy {np.__version__}, {args.reps} reps, medians")
    print("| workload | size | " + " | ".join(s for s, _ in systems) + " | NumPy | " +
          " | ".join(f"NumPy / {s}" for s, _ in systems) + " | rel. diff |")
    print("|---|---|" + "---:|" * (2 * len(systems) + 2))
    for wid in args.only.split(","):
        what, (n, m), fnp, fd = WORKLOADS[wid]
        n = max(100, int(n * args.scale))
        X = np.random.default_rng(42).random((n, m))
        times = {s: [] for s, _ in systems}
        times["numpy"] = []
        values = {}
        order = [("numpy", None)] + systems
        for rep in range(args.reps):
            rot = order[rep % len(order):] + order[:rep % len(order)]
            for name, dc in rot:
                t, v = timed(fnp, X) if dc is None else timed(fd, dc, X)
                times[name].append(t)
                values[name] = v
        med = {k: statistics.median(v) for k, v in times.items()}
        ref = values["numpy"]
        diff = max(abs(values[s] - ref) / abs(ref) for s, _ in systems)
        row = [f"{wid} {what}", f"{n}x{m}"] + [f"{med[s]:.3f} s" for s, _ in systems] + [f"{med['numpy']:.3f} s"]
        row += [f"{med['numpy'] / med[s]:.2f}x" for s, _ in systems] + [f"{diff:.1e}"]
        print("| " + " | ".join(row) + " |")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
