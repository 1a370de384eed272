#!/usr/bin/env python3
"""JIT benchmark: W1, W2 and W6 with JIT-compiled pipelines against the same pipelines on the
kernels and against NumPy, the JIT's compile and cache-hit times, and this machine's memory
bandwidth (a STREAM-like triad), all in one run.

Systems, interleaved (in each repetition every system runs once, the first one rotating):

  jit        target/release/daphne --vec --codegen-stats script.daph n=.. m=..
  kernels    target/release/daphne --vec --no-codegen script.daph n=.. m=..
  numpy-1t   python3 script_numpy.py n=.. m=..  with OPENBLAS/OMP/MKL_NUM_THREADS=1
  numpy      the same with NumPy's default threads

Reported per workload: the median `compute` seconds (measured inside each script; for `jit` it
includes compiling the pipelines, which happens when they first run), the ratios numpy / jit,
numpy-1t / jit and kernels / jit (> 1: jit is faster), and the result checks of run.py. For W1
(which reads its 8-byte cells once), the bandwidth jit reaches, with and without the compile time,
as a fraction of the triad's median bandwidth.

Compile times: the median per pipeline over every pipeline compiled in the jit runs (from
`--codegen-stats`). Cache hits: a small loop script (the same pipeline run 50 times) run with
`--codegen-stats`; the median time of a lookup that finds the compiled pipeline.

The triad is examples/stream_triad.rs (built with `cargo build --release --example stream_triad`
unless --triad-bin is given): three arrays of --triad-mib MiB, all cores, best and median GB/s.

Standard library only; helpers (workload table, run_once, checks, formatting) come from run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as harness  # noqa: E402

STATS = re.compile(
    r"daphne: codegen: (\d+) pipelines compiled in ([0-9.e+-]+) s \(median ([0-9.e+-]+|-) ms\), "
    r"(\d+) refused \(run on the kernels\), (\d+) cache hits \(median ([0-9.e+-]+|-) ms\)"
)

CACHE_PROBE = """X = rand(20000, 50, 0.0, 1.0, 1.0, 1);
s = 0.0;
for (i in 1:50) {
  s = s + sum((X * i + 1) ^ 2 / (X + 3));
}
print(s);
"""


def codegen_stats(stderr: str) -> dict | None:
    m = STATS.search(stderr)
    if not m:
        return None
    num = lambda s: None if s == "-" else float(s)  # noqa: E731
    return {
        "compiled": int(m.group(1)),
        "compile_s": float(m.group(2)),
        "median_compile_ms": num(m.group(3)),
        "refused": int(m.group(4)),
        "hits": int(m.group(5)),
        "median_hit_ms": num(m.group(6)),
    }


def build(example: str) -> str:
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", example], cwd=harness.REPO_ROOT, check=True)
    return str(harness.REPO_ROOT / "target" / "release" / "examples" / example)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3, help="repetitions per system and workload (default 3)")
    ap.add_argument("--scale", type=float, default=1.0, help="scale the rows of every workload (default 1)")
    ap.add_argument("--daphne", default=str(harness.REPO_ROOT / "target" / "release" / "daphne"))
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--triad-bin", default=None, help="a built stream_triad example (default: build it)")
    ap.add_argument("--triad-mib", type=int, default=256, help="MiB per triad array (default 256)")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--json", default=None, help="also write the results to this file")
    args = ap.parse_args()

    harness.ensure_numpy(args.python, False)
    triad_bin = args.triad_bin or build("stream_triad")
    rc, _, out, err, _ = harness.run_once([triad_bin, str(args.triad_mib), "10"], dict(os.environ), args.timeout)
    if rc != 0:
        harness.loud(f"the triad failed: {err}")
        return 1
    triad = json.loads(out)
    harness.log(f"triad ({triad['threads']} threads, 3 x {args.triad_mib} MiB): best {triad['best_gbs']} GB/s, "
                f"median {triad['median_gbs']} GB/s")

    systems = {
        "jit": lambda s: [args.daphne, "--vec", "--codegen-stats", s],
        "kernels": lambda s: [args.daphne, "--vec", "--no-codegen", s],
        "numpy-1t": lambda s: [args.python, s],
        "numpy": lambda s: [args.python, s],
    }
    env_all = dict(os.environ)
    env_1t = dict(os.environ, **{v: "1" for v in harness.THREAD_VARS})
    env_mt = {k: v for k, v in os.environ.items() if k not in harness.THREAD_VARS}
    envs = {"jit": env_all, "kernels": env_all, "numpy-1t": env_1t, "numpy": env_mt}

    results: dict = {"triad": triad, "workloads": {}}
    compile_medians: list[float] = []
    for wl in [w for w in harness.WORKLOADS if w.id in ("W1", "W2", "W6")]:
        n, m = wl.sizes(args.scale)
        size_args = [f"n={n}", f"m={m}"]
        times: dict[str, list[float]] = {s: [] for s in systems}
        values: dict[str, list[float]] = {s: [] for s in systems}
        codegen_s: list[float] = []
        names = list(systems)
        for rep in range(args.reps):
            order = names[rep % len(names):] + names[: rep % len(names)]
            for sys_name in order:
                script = f"{wl.stem}_numpy.py" if sys_name.startswith("numpy") else f"{wl.stem}.daph"
                argv = systems[sys_name](script) + size_args
                rc, _, out, err, _ = harness.run_once(argv, envs[sys_name], args.timeout)
                value, _, compute = harness.parse_output(out)
                if rc != 0 or compute is None:
                    harness.loud(f"{wl.id} {sys_name} failed (exit {rc}): {err.strip()[-400:]}")
                    continue
                times[sys_name].append(compute)
                if value is not None:
                    values[sys_name].append(value)
                if sys_name == "jit":
                    st = codegen_stats(err)
                    if st:
                        codegen_s.append(st["compile_s"])
                        if st["median_compile_ms"] is not None:
                            compile_medians.extend([st["median_compile_ms"]] * st["compiled"])
        med = {s: (statistics.median(t) if t else None) for s, t in times.items()}
        expected = wl.expected(n, m)
        checks = {s: (harness.rel(v[0], expected) <= wl.tol if v else None) for s, v in values.items()}
        row = {"n": n, "m": m, "median_compute_s": med, "checks": checks,
               "median_compile_s": statistics.median(codegen_s) if codegen_s else None}
        harness.log(f"\n{wl.id} ({wl.what}), n={n} m={m}")
        for s in systems:
            harness.log(f"  {s:9s} compute {harness.fmt_t(med[s])}  check {'ok' if checks[s] else checks[s]}")
        harness.log(f"  numpy / jit {harness.fmt_ratio(med['numpy'], med['jit'])}, "
                    f"numpy-1t / jit {harness.fmt_ratio(med['numpy-1t'], med['jit'])}, "
                    f"kernels / jit {harness.fmt_ratio(med['kernels'], med['jit'])}")
        if wl.id == "W1" and med["jit"]:
            # The W1 pipeline is compiled ahead, while the input is generated: its compile time is
            # not part of `compute` (unless the compilation took longer than the generation).
            gb = n * m * 8 / 1e9
            bw = gb / med["jit"]
            best = gb / min(times["jit"])
            row["bandwidth_gbs"] = bw
            row["fraction_of_triad"] = bw / triad["median_gbs"]
            harness.log(f"  W1 reads {gb:.2f} GB: {bw:.1f} GB/s (median run) = {100 * bw / triad['median_gbs']:.0f}% "
                        f"of the triad's median; best run {best:.1f} GB/s = {100 * best / triad['median_gbs']:.0f}%")
        results["workloads"][wl.id] = row

    with tempfile.NamedTemporaryFile("w", suffix=".daph", delete=False) as f:
        f.write(CACHE_PROBE)
        probe = f.name
    try:
        rc, _, out, err, _ = harness.run_once([args.daphne, "--vec", "--codegen-stats", probe], env_all, args.timeout)
    finally:
        os.unlink(probe)
    st = codegen_stats(err) if rc == 0 else None
    results["cache_probe"] = st
    results["median_compile_ms"] = statistics.median(compile_medians) if compile_medians else None
    harness.log(f"\ncompile time per pipeline in the workloads: median {results['median_compile_ms']} ms "
                f"(over {len(compile_medians)} pipelines; compiled in the background while the inputs are "
                f"generated, so sharing the cores with that)")
    # On the script's path, nothing else running: the pipelines of tests/codegen/.
    on_path: list[float] = []
    for script in sorted((harness.REPO_ROOT / "tests" / "codegen").glob("*.daph")):
        argv = [args.daphne, "--vec", "--codegen-threshold", "0", "--codegen-stats", str(script)]
        rc, _, _, err, _ = harness.run_once(argv, env_all, args.timeout)
        s = codegen_stats(err)
        if s and s["median_compile_ms"] is not None:
            on_path.extend([s["median_compile_ms"]] * s["compiled"])
    results["median_compile_on_path_ms"] = statistics.median(on_path) if on_path else None
    harness.log(f"compile time per pipeline on the script's path (tests/codegen/*.daph): median "
                f"{results['median_compile_on_path_ms']} ms over {len(on_path)} pipelines")
    if st:
        harness.log(f"cache hits: {st['hits']} lookups found the pipeline compiled, median {st['median_hit_ms']} ms")
    else:
        harness.loud(f"the cache probe failed: {err.strip()[-400:]}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
