#!/usr/bin/env python3
"""Benchmark harness: DaphneDSL workloads W0-W6 on our `daphne` (plain and --vec) against NumPy.

Runs every workload of bench/workloads/ with up to four systems, interleaved (round-robin over the
systems in each repetition, the starting system rotating, so machine noise spreads over all of them):

  daphne      target/release/daphne script.daph n=.. m=..
  daphne-vec  the same with --vec (skipped, with a note, if `daphne --help` does not list --vec)
  numpy-1t    python3 script_numpy.py n=.. m=..  with OPENBLAS/OMP/MKL_NUM_THREADS=1
  numpy       the same with NumPy's default threads (those variables removed; alias numpy-mt)

Each script prints `RESULT value=<v>` and `TIME gen=<s> compute=<s>` (measured inside the script).
The report gives, per workload and system, the median compute and gen time over --reps runs (W0,
the start-up workload, reports the whole process' wall time instead), the ratios
numpy_time / daphne_time of the compute medians (> 1: daphne is faster), the peak RSS, and checks
that the result values agree: with the analytic expected value of the workload and with each other,
within a relative tolerance per workload (random streams differ between systems, so the check is
statistical). A failed check or a failed run is printed loudly and the run continues.

Before the workloads it measures the machine's limits (unless --no-bounds): the read bandwidth on one
core and on all (examples/read_bandwidth.rs, built with cargo) and NumPy's dgemm rate; each workload
then gets a bound, the least time those limits allow (its formula is printed under the table), and
the ratios daphne / bound.

Only the standard library is used here; the NumPy workloads need numpy in the Python that runs them
(--python, default: this interpreter). If it is missing: `python3 -m pip install numpy`, or pass
--install to let this script run `python3 -m pip install --quiet numpy` itself.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
WORKLOAD_DIR = BENCH_DIR / "workloads"

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


@dataclass
class Workload:
    id: str
    stem: str  # wN_name: wN_name.daph and wN_name_numpy.py
    what: str
    n: int | None  # default rows (the shared size); None: no size arguments
    m: int | None  # default columns (never scaled)
    expected: Callable[[int, int], float]  # analytic check value for the sizes run
    tol: float  # relative tolerance of the check
    expected_doc: str
    min_n: int = 100
    # The time this machine needs at least: (n, m, read bytes/s on all cores, dgemm flop/s) -> s.
    bound: Callable[[int, int, float, float], float] | None = None
    bound_doc: str = ""

    def sizes(self, scale: float) -> tuple[int | None, int | None]:
        if self.n is None:
            return None, None
        return max(self.min_n, int(round(self.n * scale))), self.m


# E[(2x+1)^2/(x+3)] for x ~ U(0,1): with u = x+3, (2u-5)^2/u = 4u - 20 + 25/u over u in [3,4].
W1_MEAN = 25.0 * math.log(4.0 / 3.0) - 6.0  # 1.19205...

WORKLOADS = [
    Workload("W0", "w0_startup", "trivial script: process start-up + compile overhead (wall time)",
             None, None, lambda n, m: 50.0, 0.2, "~50 (sum of 100 U(0,1))"),
    Workload("W1", "w1_ewise", "sum((X*2+1)^2/(X+3)): fused elementwise chain + full aggregation",
             20000, 5000, lambda n, m: W1_MEAN * n * m, 1e-2, "1.19205*n*m",
             bound=lambda n, m, r, f: 8 * n * m / r, bound_doc="one read of X"),
    Workload("W2", "w2_colstats", "column means, sums of squares, standardization, sum(Z^2)",
             1000000, 100, lambda n, m: float(m * (n - 1)), 1e-6, "m*(n-1) (exact)",
             bound=lambda n, m, r, f: 2 * 8 * n * m / r, bound_doc="two reads of X (statistics, then Z)"),
    Workload("W3", "w3_gram", "Gram matrix t(X) @ X, sum(G)",
             1000000, 200, lambda n, m: n * (m / 12.0 + m * m / 4.0), 1e-2, "n*(m/12 + m^2/4)",
             bound=lambda n, m, r, f: max(n * m * (m + 1) / f, 8 * n * m / r),
             bound_doc="syrk's n*m*(m+1) flops at the dgemm rate"),
    Workload("W4", "w4_linreg_ds", "linear regression, direct solve solve(t(X)@X + 0.001*I, t(X)@y)",
             2000000, 100, lambda n, m: 3.0 * m / (1.0 + 3.0 * m), 1e-2, "3m/(1+3m), sum of the population beta",
             bound=lambda n, m, r, f: n * m * (m + 1) / f + 8 * n * m / r,
             bound_doc="syrk at the dgemm rate plus one read of X for t(X)@y"),
    Workload("W5", "w5_kmeans", "k-means (Lloyd), k=10, 20 iterations",
             1000000, 20, lambda n, m: 1.44 * n, 1e-2, "~1.44*n (measured, m=20)",
             bound=lambda n, m, r, f: 20 * (2 * 8 * n * m + 2 * 8 * n * 10) / r,
             bound_doc="per iteration two reads of X (X@t(C), t(P)@X) and the n x k distances written and read once"),
    Workload("W6", "w6_lincg", "linear regression by conjugate gradient, 20 iterations",
             1000000, 100, lambda n, m: 3.0 * m / (1.0 + 3.0 * m), 1e-2, "3m/(1+3m), as W4",
             bound=lambda n, m, r, f: 21 * 8 * n * m / r,
             bound_doc="one read of X per iteration (t(X)@(X@p) fused) and one for t(X)@y"),
]
WORKLOAD_BY_ID = {w.id: w for w in WORKLOADS}


@dataclass
class System:
    key: str
    label: str
    kind: str  # "daphne" or "numpy"
    flags: list[str] = field(default_factory=list)
    env: dict[str, str | None] = field(default_factory=dict)  # None: remove the variable


ALL_SYSTEMS = [
    System("daphne", "daphne", "daphne"),
    System("daphne-vec", "daphne --vec", "daphne", ["--vec"]),
    System("numpy-1t", "numpy 1T", "numpy", env={v: "1" for v in THREAD_VARS}),
    System("numpy", "numpy MT", "numpy", env={v: None for v in THREAD_VARS}),
]
SYSTEM_BY_KEY = {s.key: s for s in ALL_SYSTEMS}
SYSTEM_ALIASES = {"numpy-mt": "numpy", "vec": "daphne-vec", "numpy1t": "numpy-1t"}


@dataclass
class Run:
    workload: str
    system: str
    rep: int
    argv: list[str]
    ok: bool
    status: str  # "ok", "exit N", "timeout", "no output"
    wall: float
    gen: float | None = None
    compute: float | None = None
    value: float | None = None
    maxrss_mb: float | None = None
    stderr_tail: str = ""


def log(msg: str = "") -> None:
    print(msg, file=sys.stderr, flush=True)


def loud(msg: str) -> None:
    bar = "!" * 78
    log(f"{bar}\n!!! {msg}\n{bar}")


def run_once(argv: list[str], env: dict[str, str], timeout: float) -> tuple[int | None, float, str, str, float]:
    """Run argv; return (exit code or None on timeout, wall seconds, stdout, stderr, peak RSS MB).

    The child is reaped with os.wait4 (blocking, no polling, so the wall time is exact) to get its own
    peak RSS; a timer kills it after `timeout` seconds, and it is killed too if we are interrupted
    (an exception) while it runs."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=WORKLOAD_DIR)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            try:
                proc.kill()
            except OSError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.daemon = True
        timer.start()
        reaped = False
        try:
            _, status, usage = os.wait4(proc.pid, 0)
            reaped = True
        finally:
            timer.cancel()
            if not reaped:
                try:
                    proc.kill()
                    proc.wait(5)
                except (OSError, subprocess.TimeoutExpired):
                    pass
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    rc = None if timed_out.is_set() else proc.returncode
    return rc, wall, stdout, stderr, usage.ru_maxrss / 1024.0


def parse_output(stdout: str) -> tuple[float | None, float | None, float | None]:
    value = gen = compute = None
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("RESULT "):
            for tok in line.split()[1:]:
                if tok.startswith("value="):
                    try:
                        value = float(tok[len("value="):])
                    except ValueError:
                        pass
        elif line.startswith("TIME "):
            for tok in line.split()[1:]:
                k, _, v = tok.partition("=")
                try:
                    if k == "gen":
                        gen = float(v)
                    elif k == "compute":
                        compute = float(v)
                except ValueError:
                    pass
    return value, gen, compute


def command(system: System, wl: Workload, n: int | None, m: int | None, daphne: str, python: str) -> list[str]:
    size_args = [] if n is None else [f"n={n}", f"m={m}"]
    if system.kind == "daphne":
        return [daphne, *system.flags, str(WORKLOAD_DIR / f"{wl.stem}.daph"), *size_args]
    return [python, str(WORKLOAD_DIR / f"{wl.stem}_numpy.py"), *size_args]


def environment(system: System) -> dict[str, str]:
    env = dict(os.environ)
    for k, v in system.env.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def machine_info(daphne: str | None, python: str, numpy_needed: bool) -> dict:
    info: dict = {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": None,
        "mem_total_gb": None,
        "kernel": platform.release(),
        "python": None,
        "numpy": None,
        "blas": None,
        "daphne": None,
        "git_commit": None,
        "loadavg_start": None,
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["mem_total_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        info["loadavg_start"] = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        pass
    if numpy_needed:
        probe = ("import sys, numpy as np\n"
                 "print(sys.version.split()[0]); print(np.__version__)\n"
                 "try:\n"
                 "    c = np.show_config(mode='dicts')['Build Dependencies']['blas']\n"
                 "    print(c.get('name', '?') + ' ' + str(c.get('version', '?')))\n"
                 "except Exception:\n"
                 "    print('?')\n")
        r = subprocess.run([python, "-c", probe], capture_output=True, text=True)
        if r.returncode == 0:
            lines = r.stdout.splitlines() + ["?", "?", "?"]
            info["python"], info["numpy"], info["blas"] = lines[0], lines[1], lines[2]
    else:
        info["python"] = platform.python_version()
    if daphne:
        r = subprocess.run([daphne, "--version"], capture_output=True, text=True)
        version = r.stdout.strip().splitlines()[0] if r.returncode == 0 and r.stdout.strip() else "version unknown"
        info["daphne"] = f"{version} ({daphne})"
    r = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if r.returncode == 0:
        commit = r.stdout.strip()
        d = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True)
        info["git_commit"] = commit + (" (uncommitted changes)" if d.stdout.strip() else "")
    return info


def ensure_numpy(python: str, install: bool) -> None:
    if subprocess.run([python, "-c", "import numpy"], capture_output=True).returncode == 0:
        return
    if install:
        log(f"numpy is missing in {python}: running `{python} -m pip install --quiet numpy`")
        r = subprocess.run([python, "-m", "pip", "install", "--quiet", "numpy"])
        if r.returncode == 0 and subprocess.run([python, "-c", "import numpy"], capture_output=True).returncode == 0:
            return
        sys.exit("error: installing numpy failed; install it by hand: python3 -m pip install numpy")
    sys.exit(f"error: numpy is not installed in {python}.\n"
             f"Install it with `{python} -m pip install numpy`, or rerun with --install to let this script do it,\n"
             f"or leave the NumPy systems out with --systems daphne,daphne-vec.")


def fmt_t(x: float | None) -> str:
    if x is None:
        return "—"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def fmt_ratio(num: float | None, den: float | None) -> str:
    if num is None or den is None or den <= 0:
        return "—"
    return f"{num / den:.2f}x"


def fmt_v(x: float | None) -> str:
    return "—" if x is None else f"{x:.6g}"


def rel(a: float, b: float) -> float:
    d = max(abs(a), abs(b))
    return 0.0 if d == 0 else abs(a - b) / d


DGEMM_SCRIPT = """
import json, statistics, time, numpy as np
n = 3000
a = np.random.default_rng(1).random((n, n)); b = np.random.default_rng(2).random((n, n))
a @ b
ts = []
for _ in range(5):
    t = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t)
print(json.dumps({"dgemm_gflops": 2 * n ** 3 / statistics.median(ts) / 1e9}))
"""


def measure_bounds(python: str) -> dict | None:
    """The machine's limits, measured now: read bandwidth on one and all cores (our read_bandwidth
    example) and the dgemm rate (NumPy's BLAS, default threads). None (with a note) if either fails."""
    built = subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "read_bandwidth"],
                           cwd=REPO_ROOT, capture_output=True, text=True)
    exe = REPO_ROOT / "target" / "release" / "examples" / "read_bandwidth"
    if built.returncode != 0 or not exe.exists():
        log("NOTE: cannot build the read_bandwidth example: " + built.stderr.strip()[-300:])
        return None
    r = subprocess.run([str(exe), "1024", "7"], capture_output=True, text=True)
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    g = subprocess.run([python, "-c", DGEMM_SCRIPT], capture_output=True, text=True, env=env)
    try:
        read = json.loads(r.stdout.strip().splitlines()[-1])
        gemm = json.loads(g.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        log("NOTE: measuring the machine's bounds failed: " + (r.stderr + g.stderr).strip()[-300:])
        return None
    return {"read_gbps_one_thread": read["read_gbps_one_thread"], "read_gbps_all_threads": read["read_gbps_all_threads"],
            "dgemm_gflops": gemm["dgemm_gflops"]}


def main() -> int:
    ap = argparse.ArgumentParser(
        prog="bench/run.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Workloads (shared size n x m; --scale shrinks n):\n" +
               "\n".join(f"  {w.id} {'10x10' if w.n is None else f'{w.n}x{w.m}':>12}  {w.what}" for w in WORKLOADS) +
               "\n\nExamples:\n  python3 bench/run.py                          # all, shared sizes, 5 reps"
               "\n  python3 bench/run.py --scale 0.05 --reps 2    # quick run"
               "\n  python3 bench/run.py --only W1,W3 --json out.json"
               "\n\nProgress goes to stderr, the markdown report to stdout. Exit code 1 if a run or a check failed.",
    )
    ap.add_argument("--only", metavar="W1,W3", help="comma-separated workload ids to run (default: all, W0-W6)")
    ap.add_argument("--reps", type=int, default=5, help="repetitions per workload and system (default 5); medians are reported")
    ap.add_argument("--daphne", metavar="PATH", default=str(REPO_ROOT / "target" / "release" / "daphne"),
                    help="the daphne binary (default: target/release/daphne of this repository)")
    ap.add_argument("--python", metavar="PATH", default=sys.executable,
                    help="the Python that runs the NumPy scripts (default: the one running this script)")
    ap.add_argument("--systems", metavar="LIST", default=",".join(s.key for s in ALL_SYSTEMS),
                    help="comma-separated subset of " + ", ".join(s.key for s in ALL_SYSTEMS) + " (default: all)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply the row count n of every workload by F (columns m unchanged, n >= 100) for a quick "
                         "run; check values follow the sizes. Default 1 = the shared sizes")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per run before it is killed (default 600); "
                    "a workload/system that times out or fails is not repeated")
    ap.add_argument("--json", metavar="OUT.json", help="save machine info, every run and the summary as JSON")
    ap.add_argument("--no-bounds", action="store_true",
                    help="skip measuring the machine's bounds (read bandwidth, dgemm rate) and the bound column")
    ap.add_argument("--install", action="store_true",
                    help="if numpy is missing in --python, install it with `python -m pip install --quiet numpy`")
    args = ap.parse_args()

    if args.reps < 1:
        ap.error("--reps must be at least 1")
    if args.scale <= 0:
        ap.error("--scale must be positive")

    if args.only:
        ids = [s.strip().upper() for s in args.only.split(",") if s.strip()]
        bad = [i for i in ids if i not in WORKLOAD_BY_ID]
        if bad:
            ap.error(f"unknown workload(s) {', '.join(bad)}; valid: {', '.join(WORKLOAD_BY_ID)}")
        workloads = [WORKLOAD_BY_ID[i] for i in ids]
    else:
        workloads = list(WORKLOADS)

    keys = [SYSTEM_ALIASES.get(k, k) for k in (s.strip().lower() for s in args.systems.split(",")) if k]
    bad = [k for k in keys if k not in SYSTEM_BY_KEY]
    if bad:
        ap.error(f"unknown system(s) {', '.join(bad)}; valid: {', '.join(SYSTEM_BY_KEY)}")
    systems = [s for s in ALL_SYSTEMS if s.key in keys]
    notes: list[str] = []

    daphne = None
    if any(s.kind == "daphne" for s in systems):
        daphne = str(Path(args.daphne).resolve())
        if not os.access(daphne, os.X_OK):
            sys.exit(f"error: no daphne binary at {daphne}; build it with `cargo build --release` in {REPO_ROOT}, "
                     f"or pass --daphne PATH")
        if any(s.key == "daphne-vec" for s in systems):
            h = subprocess.run([daphne, "--help"], capture_output=True, text=True)
            if "--vec" not in h.stdout + h.stderr:
                note = f"{daphne} --help does not list --vec: the daphne --vec column is skipped"
                notes.append(note)
                log("NOTE: " + note)
                systems = [s for s in systems if s.key != "daphne-vec"]
    numpy_needed = any(s.kind == "numpy" for s in systems)
    if numpy_needed:
        ensure_numpy(args.python, args.install)

    info = machine_info(daphne, args.python, numpy_needed)
    log(f"machine: {info['nproc']} CPUs ({info['cpu_model']}), {info['mem_total_gb']} GB, load {info['loadavg_start']}")
    log(f"systems: {', '.join(s.label for s in systems)}; reps {args.reps}; scale {args.scale}; timeout {args.timeout:g} s")

    bounds = None if args.no_bounds or not numpy_needed else measure_bounds(args.python)
    if bounds:
        log(f"bounds: read {bounds['read_gbps_one_thread']:.1f} GB/s on one core, "
            f"{bounds['read_gbps_all_threads']:.1f} GB/s on all; dgemm {bounds['dgemm_gflops']:.0f} GFLOP/s")
    elif not args.no_bounds:
        notes.append("the machine's bounds were not measured (needs numpy and the read_bandwidth example)")
    info["bounds"] = bounds

    runs: list[Run] = []
    failures: list[str] = []
    for wl in workloads:
        n, m = wl.sizes(args.scale)
        size = "10x10" if n is None else f"{n}x{m}"
        log(f"\n== {wl.id} {wl.stem} ({size}): {wl.what}")
        given_up: set[str] = set()
        for rep in range(args.reps):
            k = rep % len(systems)
            for system in systems[k:] + systems[:k]:
                if system.key in given_up:
                    continue
                argv = command(system, wl, n, m, daphne or "", args.python)
                rc, wall, out, err, rss = run_once(argv, environment(system), args.timeout)
                value, gen, compute = parse_output(out)
                r = Run(wl.id, system.key, rep + 1, argv, False, "ok", wall, gen, compute, value, rss,
                        "\n".join(err.strip().splitlines()[-15:]))
                if rc is None:
                    r.status = f"timeout after {args.timeout:g} s"
                elif rc != 0:
                    r.status = f"exit {rc}"
                elif value is None or compute is None:
                    r.status = "no RESULT/TIME lines in stdout"
                else:
                    r.ok = True
                runs.append(r)
                if r.ok:
                    shown = f"wall {wall:.3f} s" if wl.id == "W0" else f"compute {compute:.3f} s  gen {gen:.3f} s"
                    log(f"  rep {rep + 1}/{args.reps} {system.label:<13} {shown}  rss {rss:.0f} MB  value={value!r}")
                else:
                    given_up.add(system.key)
                    msg = (f"{wl.id} FAILED on {system.label} ({r.status}): {' '.join(argv)}"
                           + (f"\n    stderr: " + r.stderr_tail.replace("\n", "\n    stderr: ") if r.stderr_tail else "")
                           + (f"\n    stdout: {out.strip()[-500:]}" if out.strip() and not r.status.startswith("exit") else ""))
                    loud(msg)
                    failures.append(msg)

    # ---- summary ----
    summary: dict = {}
    check_failures: list[str] = []
    for wl in workloads:
        n, m = wl.sizes(args.scale)
        s_wl: dict = {"size": "10x10" if n is None else f"{n}x{m}", "n": n, "m": m, "systems": {}}
        for system in systems:
            ok = [r for r in runs if r.workload == wl.id and r.system == system.key and r.ok]
            if not ok:
                s_wl["systems"][system.key] = None
                continue
            s_wl["systems"][system.key] = {
                "reps": len(ok),
                "compute": statistics.median(r.wall if wl.id == "W0" else r.compute for r in ok),
                "gen": None if wl.id == "W0" else statistics.median(r.gen for r in ok if r.gen is not None),
                "wall": statistics.median(r.wall for r in ok),
                "value": statistics.median(r.value for r in ok),
                "maxrss_mb": max(r.maxrss_mb for r in ok),
            }
        if bounds and wl.bound and n is not None and m is not None:
            s_wl["bound"] = wl.bound(n, m, bounds["read_gbps_all_threads"] * 1e9, bounds["dgemm_gflops"] * 1e9)
        else:
            s_wl["bound"] = None
        expected = wl.expected(n or 0, m or 0)
        vals = {k: v["value"] for k, v in s_wl["systems"].items() if v}
        problems = []
        for k, v in vals.items():
            e = rel(v, expected) if math.isfinite(v) else math.inf
            if not e <= wl.tol:
                problems.append(f"{SYSTEM_BY_KEY[k].label} value {v:.6g} vs expected {expected:.6g}: rel. diff {e:.2e} > {wl.tol:g}")
        keys_v = list(vals)
        spread = 0.0
        for i in range(len(keys_v)):
            for j in range(i + 1, len(keys_v)):
                a, b = vals[keys_v[i]], vals[keys_v[j]]
                d = rel(a, b) if math.isfinite(a) and math.isfinite(b) else math.inf
                spread = max(spread, d)
                if not d <= wl.tol:
                    problems.append(f"{SYSTEM_BY_KEY[keys_v[i]].label} {a:.6g} and {SYSTEM_BY_KEY[keys_v[j]].label} "
                                    f"{b:.6g} disagree: rel. diff {d:.2e} > {wl.tol:g}")
        s_wl["check"] = {"expected": expected, "expected_formula": wl.expected_doc, "tol": wl.tol,
                         "max_pairwise_rel_diff": spread, "ok": not problems, "values": bool(vals),
                         "problems": problems}
        for p in problems:
            check_failures.append(f"{wl.id}: {p}")
            loud(f"CHECK FAILED {wl.id}: {p}")
        summary[wl.id] = s_wl

    # ---- report (stdout, markdown) ----
    labels = {s.key: s.label for s in systems}
    daphnes = [s for s in systems if s.kind == "daphne"]
    numpys = [s for s in systems if s.kind == "numpy"]
    P = print
    P("# DAPHNE (Rust) vs NumPy benchmark\n")
    P(f"- machine: {info['nproc']} CPUs (usable {info['usable_cpus']}), {info['cpu_model']}, "
      f"{info['mem_total_gb']} GB RAM, Linux {info['kernel']}, load average at start {' '.join(info['loadavg_start'] or [])}")
    if daphne:
        P(f"- daphne: {info['daphne']}, repository commit {info['git_commit']}")
    if numpy_needed:
        P(f"- numpy {info['numpy']} ({info['blas']}), Python {info['python']}; numpy 1T: "
          f"{'/'.join(THREAD_VARS)}=1, numpy MT: default threads")
    P(f"- reps {args.reps} (median), scale {args.scale:g} (rows only), timeout {args.timeout:g} s")
    for note in notes:
        P(f"- NOTE: {note}")
    P()
    P("## Compute time (median seconds; W0: whole-process wall time) and ratios numpy / daphne (> 1: daphne faster)\n")
    ratio_cols = [(np_, d) for np_ in numpys for d in daphnes]
    show_bound = bool(bounds)
    bound_cols = [f"{labels[d.key]} / bound" for d in daphnes] if show_bound else []
    head = ["workload", "size"] + [labels[s.key] for s in systems] + \
           [f"{labels[a.key]} / {labels[b.key]}" for a, b in ratio_cols] + \
           (["bound"] + bound_cols if show_bound else []) + ["check"]
    P("| " + " | ".join(head) + " |")
    P("|" + "|".join(["---", "---"] + ["---:"] * (len(systems) + len(ratio_cols) + len(bound_cols) + int(show_bound))
                     + [":---:"]) + "|")
    logs: dict[tuple[str, str], list[float]] = {}
    for wl in workloads:
        s_wl = summary[wl.id]
        t = {k: (v["compute"] if v else None) for k, v in s_wl["systems"].items()}
        row = [wl.id, s_wl["size"]] + [fmt_t(t[s.key]) for s in systems]
        for a, b in ratio_cols:
            row.append(fmt_ratio(t[a.key], t[b.key]))
            if wl.id != "W0" and t[a.key] and t[b.key]:
                logs.setdefault((a.key, b.key), []).append(math.log(t[a.key] / t[b.key]))
        if show_bound:
            b = s_wl["bound"]
            row.append(fmt_t(b) if b else "—")
            row += [f"{t[d.key] / b:.1f}x" if b and t[d.key] else "—" for d in daphnes]
        missing = [labels[s.key] for s in systems if not s_wl["systems"][s.key]]
        if not s_wl["check"]["values"]:
            status = "**no run succeeded**"
        elif not s_wl["check"]["ok"]:
            status = "**FAIL**"
        else:
            status = "ok"
        if missing and s_wl["check"]["values"]:
            status += ", **run failed**: " + ", ".join(missing)
        row.append(status)
        P("| " + " | ".join(row) + " |")
    timed = [wl for wl in workloads if wl.id != "W0"]
    if len(timed) > 1 and ratio_cols:
        row = ["geomean (all but W0)", ""] + [""] * len(systems)
        for a, b in ratio_cols:
            v = logs.get((a.key, b.key))
            row.append(f"{math.exp(sum(v) / len(v)):.2f}x" if v and len(v) == len(timed) else "—")
        if show_bound:
            row += [""] * (1 + len(bound_cols))
        row.append("")
        P("| " + " | ".join(row) + " |")
    if show_bound:
        P(f"\nbound: the least time this machine needs, from its limits measured in this run "
          f"(read {bounds['read_gbps_one_thread']:.1f} GB/s on one core, {bounds['read_gbps_all_threads']:.1f} GB/s on all, "
          f"dgemm {bounds['dgemm_gflops']:.0f} GFLOP/s with NumPy's BLAS): "
          + "; ".join(f"{wl.id} {wl.bound_doc}" for wl in workloads if wl.bound))
    P()
    P("## Generation time (median seconds), peak RSS (MB) and result values\n")
    head = ["workload"] + [f"{labels[s.key]} gen" for s in systems] + [f"{labels[s.key]} RSS" for s in systems] + \
           [f"{labels[s.key]} value" for s in systems] + ["expected", "tol"]
    P("| " + " | ".join(head) + " |")
    P("|" + "|".join(["---"] + ["---:"] * (3 * len(systems) + 2)) + "|")
    for wl in workloads:
        s_wl = summary[wl.id]
        sv = s_wl["systems"]
        row = [wl.id]
        row += [fmt_t(sv[s.key]["gen"]) if sv[s.key] else "—" for s in systems]
        row += [f"{sv[s.key]['maxrss_mb']:.0f}" if sv[s.key] else "—" for s in systems]
        row += [fmt_v(sv[s.key]["value"]) if sv[s.key] else "—" for s in systems]
        row += [f"{s_wl['check']['expected']:.6g}", f"{wl.tol:g}"]
        P("| " + " | ".join(row) + " |")
    if failures or check_failures:
        P("\n## FAILURES\n")
        for f in failures:
            P("- run: " + f.replace("\n", "\n  "))
        for f in check_failures:
            P("- check: " + f)

    if args.json:
        info["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else None
        doc = {
            "machine": info,
            "options": {"reps": args.reps, "scale": args.scale, "timeout": args.timeout,
                        "systems": [s.key for s in systems], "workloads": [w.id for w in workloads]},
            "notes": notes,
            "summary": summary,
            "runs": [r.__dict__ for r in runs],
            "failures": failures,
            "check_failures": check_failures,
        }
        Path(args.json).write_text(json.dumps(doc, indent=2))
        log(f"\nraw numbers written to {args.json}")
    return 1 if failures or check_failures else 0


if __name__ == "__main__":
    sys.exit(main())
