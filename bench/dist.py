#!/usr/bin/env python3
"""Distributed benchmark: W1 and W2 with `daphne --vec` (local), `daphne --distributed` on two local
DistributedWorkers, and NumPy; plus the Store/Transfer throughput of one worker.

Systems, interleaved (in each repetition every system runs once, the first one rotating):

  daphne --vec          target/release/daphne --vec script.daph n=.. m=..     (all cores, one process)
  daphne --distributed  DISTRIBUTED_WORKERS=127.0.0.1:p1,127.0.0.1:p2 daphne --distributed --dist-stats ...
                        on two `DistributedWorker --num-threads T --exit-with-stdin 127.0.0.1:0` this script
                        starts before the first run and stops at the end (always: also on an error, Ctrl-C
                        or SIGTERM; with --exit-with-stdin they also stop if this script is killed outright)
  numpy                 python3 script_numpy.py n=.. m=..  (NumPy's default threads, as run.py's `numpy MT`)

The report gives the median `compute` seconds (measured inside each script, so process start-up and
input generation are not in it; for --distributed it includes sending the input's row blocks to the
workers), the ratios distributed / local-vec (> 1: distributed is slower) and numpy / distributed
(> 1: distributed is faster than NumPy), the coordinator's --dist-stats (bytes sent to and fetched
from the workers) and the result checks of run.py (each value against the workload's expected value
and all pairs against each other, within the workload's tolerance).

Before the workloads it runs examples/transfer_throughput.rs (built with `cargo build --release
--example transfer_throughput` unless --transfer-bin is given) with --transfer-mib MiB: Store and
Transfer GB/s of one dense f64 matrix against one worker. --transfer-mib 0 skips it.

Standard library only; helpers (workload table, checks, formatting) come from bench/run.py.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import selectors
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.dont_write_bytecode = True  # no bench/__pycache__ from importing run.py
sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402  (bench/run.py: workloads, checks, formatting)

BENCH_DIR = bench.BENCH_DIR
REPO_ROOT = bench.REPO_ROOT
WORKLOAD_DIR = bench.WORKLOAD_DIR
log, loud = bench.log, bench.loud
fmt_t, fmt_ratio, fmt_v, rel = bench.fmt_t, bench.fmt_ratio, bench.fmt_v, bench.rel

DEFAULT_WORKLOADS = ("W1", "W2")
BANNER = re.compile(r"Started Distributed Worker on `([^`]+)`")
STATS = re.compile(
    r"daphne: distributed on (?P<workers>\d+) workers: (?P<pipelines>\d+) pipelines on workers, "
    r"(?P<local>\d+) on the coordinator; sent (?P<sent>\d+) objects \((?P<sent_bytes>\d+) bytes\), "
    r"reused (?P<reused>\d+); fetched (?P<fetched>\d+) objects \((?P<fetched_bytes>\d+) bytes\); "
    r"kept (?P<kept>\d+) results on the workers; (?P<lost>\d+) workers lost, (?P<recomputed>\d+) partitions recomputed")


@dataclass
class System:
    key: str
    label: str
    kind: str  # "daphne" or "numpy"
    flags: list[str] = field(default_factory=list)


SYSTEMS = [
    System("vec", "daphne --vec", "daphne", ["--vec"]),
    System("dist", "daphne --distributed", "daphne", ["--distributed", "--dist-stats"]),
    System("numpy", "numpy", "numpy"),
]
LABEL = {s.key: s.label for s in SYSTEMS}


@dataclass
class Run:
    workload: str
    system: str
    rep: int
    argv: list[str]
    ok: bool
    status: str
    wall: float
    gen: float | None = None
    compute: float | None = None
    value: float | None = None
    maxrss_mb: float | None = None
    dist_stats: dict | None = None
    stderr_tail: str = ""


def fmt_mb(b: int) -> str:
    """Bytes in MB (1e6), or kB/B when small."""
    if b >= 1e6:
        return f"{b / 1e6:.0f} MB"
    if b >= 1e3:
        return f"{b / 1e3:.1f} kB"
    return f"{b} B"


class Interrupted(BaseException):
    """SIGTERM/SIGHUP, turned into an exception so that every `finally` runs."""


def on_signal(signum, _frame):
    raise Interrupted(signal.Signals(signum).name)


class Workers:
    """Local DistributedWorkers on 127.0.0.1 (port 0), stopped by `stop()` (idempotent)."""

    def __init__(self, binary: str, count: int, threads: int):
        self.binary, self.count, self.threads = binary, count, threads
        self.procs: list[subprocess.Popen] = []
        self.addrs: list[str] = []
        self.errs: list = []
        self.peak_rss_mb: list[float | None] = []

    def start(self) -> None:
        for i in range(self.count):
            err = tempfile.TemporaryFile()
            self.errs.append(err)
            argv = [self.binary, "--num-threads", str(self.threads), "--exit-with-stdin", "127.0.0.1:0"]
            # Own session: a Ctrl-C in the terminal reaches this script (which stops the workers in order),
            # not the workers directly.
            p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, cwd=REPO_ROOT,
                                 start_new_session=True)
            self.procs.append(p)
            addr = self._banner(p, 20.0)
            if addr is None:
                err.seek(0)
                tail = err.read().decode(errors="replace").strip()[-800:]
                raise RuntimeError(f"worker {i + 1} ({' '.join(argv)}) did not start"
                                   + (f": {tail}" if tail else f" (exit {p.poll()})"))
            self.addrs.append(addr)
            # Keep draining its stdout, so it can never block on a full pipe.
            threading.Thread(target=lambda s=p.stdout: s.read(), daemon=True).start()

    @staticmethod
    def _banner(p: subprocess.Popen, timeout: float) -> str | None:
        sel = selectors.DefaultSelector()
        sel.register(p.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        buf = b""
        try:
            while time.monotonic() < deadline:
                if not sel.select(max(0.0, deadline - time.monotonic())):
                    break
                chunk = os.read(p.stdout.fileno(), 4096)
                if not chunk:
                    break  # the worker exited
                buf += chunk
                m = BANNER.search(buf.decode(errors="replace"))
                if m:
                    return m.group(1)
        finally:
            sel.close()
        return None

    def dead(self) -> list[str]:
        out = []
        for i, p in enumerate(self.procs):
            if p.poll() is not None:
                self.errs[i].seek(0)
                tail = self.errs[i].read().decode(errors="replace").strip()[-400:]
                out.append(f"worker {i + 1} ({self.addrs[i] if i < len(self.addrs) else '?'}) exited with {p.returncode}"
                           + (f": {tail}" if tail else ""))
        return out

    def _read_peak_rss(self) -> None:
        self.peak_rss_mb = []
        for p in self.procs:
            v = None
            try:
                for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        v = int(line.split()[1]) / 1024.0
            except (OSError, ValueError):
                pass
            self.peak_rss_mb.append(v)

    def stop(self) -> None:
        if not self.procs:
            return
        self._read_peak_rss()
        for p in self.procs:  # closing stdin stops a worker started with --exit-with-stdin
            try:
                if p.stdin:
                    p.stdin.close()
            except OSError:
                pass
        deadline = time.monotonic() + 5.0
        for p in self.procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(3.0)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for e in self.errs:
            e.close()
        self.procs = []


def transfer_throughput(args, worker_bin: str) -> tuple[dict | None, str | None]:
    """Builds (unless --transfer-bin) and runs examples/transfer_throughput; (RESULT fields, error)."""
    binary = args.transfer_bin
    if not binary:
        binary = str(REPO_ROOT / "target" / "release" / "examples" / "transfer_throughput")
        log("building the example: cargo build --release --example transfer_throughput")
        try:
            b = subprocess.run(["cargo", "build", "--release", "--example", "transfer_throughput"], cwd=REPO_ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            failed = b.returncode != 0
            build_out = b.stdout
        except OSError as e:
            failed, build_out = True, str(e)
        if failed:
            if os.access(binary, os.X_OK):
                log(f"NOTE: the build failed, using the existing {binary}:\n{build_out.strip()[-1500:]}")
            else:
                return None, f"cannot build the example:\n{build_out.strip()[-1500:]}"
    argv = [binary, "--mib", str(args.transfer_mib), "--reps", str(args.reps)]
    log(f"\n== Store/Transfer throughput: {' '.join(argv)}")
    env = dict(os.environ, DAPHNE_WORKER_BIN=worker_bin)
    try:
        r = subprocess.run(argv, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {args.timeout:g} s: {' '.join(argv)}"
    except OSError as e:
        return None, f"cannot run {binary}: {e}"
    for line in r.stdout.splitlines():
        log("  " + line)
    if r.returncode != 0:
        return None, f"exit {r.returncode}: {' '.join(argv)}\n{r.stderr.strip()[-1500:]}"
    res = None
    for line in r.stdout.splitlines():
        if line.startswith("RESULT "):
            res = {}
            for tok in line.split()[1:]:
                k, _, v = tok.partition("=")
                try:
                    res[k] = float(v)
                except ValueError:
                    res[k] = v
    if not res:
        return None, "no RESULT line in the example's output"
    res["argv"] = argv
    return res, None


def main() -> int:
    ap = argparse.ArgumentParser(
        prog="bench/dist.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Examples:\n  python3 bench/dist.py --scale 0.05 --reps 2     # quick run"
               "\n  python3 bench/dist.py --reps 3 --json dist.json  # shared sizes"
               "\n  python3 bench/dist.py --only W1 --transfer-mib 0"
               "\n\nProgress goes to stderr, the markdown report to stdout. Exit code 1 if a run or a check failed.")
    ap.add_argument("--only", metavar="W1,W2", help="comma-separated workload ids (default W1,W2; W3-W6 are accepted too)")
    ap.add_argument("--reps", type=int, default=5, help="repetitions per workload and system (default 5), also of the "
                    "throughput measurement; medians are reported")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the row count n by F (as run.py; default 1)")
    ap.add_argument("--daphne", metavar="PATH", default=str(REPO_ROOT / "target" / "release" / "daphne"))
    ap.add_argument("--worker", metavar="PATH", default=str(REPO_ROOT / "target" / "release" / "DistributedWorker"),
                    help="the DistributedWorker binary (default target/release/DistributedWorker)")
    ap.add_argument("--worker-threads", type=int, default=max(1, (os.cpu_count() or 2) // 2),
                    help="--num-threads of each of the 2 workers (default: cores/2, at least 1)")
    ap.add_argument("--python", metavar="PATH", default=sys.executable, help="the Python of the NumPy scripts")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per run before it is killed (default 600)")
    ap.add_argument("--transfer-mib", type=int, default=256,
                    help="MiB of the throughput measurement (examples/transfer_throughput; default 256, 0: skip)")
    ap.add_argument("--transfer-bin", metavar="PATH",
                    help="a built transfer_throughput example (default: build it with cargo and use target/release/examples/)")
    ap.add_argument("--json", metavar="OUT.json", help="save machine info, every run and the summary as JSON")
    args = ap.parse_args()
    if args.reps < 1:
        ap.error("--reps must be at least 1")
    if args.scale <= 0:
        ap.error("--scale must be positive")
    if args.worker_threads < 1:
        ap.error("--worker-threads must be at least 1")
    if args.transfer_mib < 0:
        ap.error("--transfer-mib must be 0 or more")
    ids = [s.strip().upper() for s in args.only.split(",") if s.strip()] if args.only else list(DEFAULT_WORKLOADS)
    bad = [i for i in ids if i not in bench.WORKLOAD_BY_ID or i == "W0"]
    if bad:
        ap.error(f"unknown or unsupported workload(s) {', '.join(bad)}; valid: W1-W6")
    workloads = [bench.WORKLOAD_BY_ID[i] for i in ids]

    daphne = str(Path(args.daphne).resolve())
    worker_bin = str(Path(args.worker).resolve())
    for what, path in (("daphne", daphne), ("DistributedWorker", worker_bin)):
        if not os.access(path, os.X_OK):
            sys.exit(f"error: no {what} binary at {path}; build it with `cargo build --release` in {REPO_ROOT}")
    bench.ensure_numpy(args.python, False)
    info = bench.machine_info(daphne, args.python, True)
    log(f"machine: {info['nproc']} CPUs ({info['cpu_model']}), {info['mem_total_gb']} GB, load {info['loadavg_start']}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    transfer, transfer_err = None, None
    runs: list[Run] = []
    failures: list[str] = []
    workers = Workers(worker_bin, 2, args.worker_threads)
    interrupted = None
    try:
        if args.transfer_mib > 0:
            transfer, transfer_err = transfer_throughput(args, worker_bin)
            if transfer_err:
                loud(f"throughput measurement FAILED: {transfer_err}")
                failures.append(f"transfer_throughput: {transfer_err}")
        workers.start()
        dist_list = ",".join(workers.addrs)
        log(f"\nstarted 2 workers (--num-threads {args.worker_threads}): DISTRIBUTED_WORKERS={dist_list}")
        log(f"systems: {', '.join(s.label for s in SYSTEMS)}; reps {args.reps}; scale {args.scale}")
        numpy_env = bench.environment(bench.SYSTEM_BY_KEY["numpy"])
        daphne_env = dict(os.environ)
        dist_env = dict(os.environ, DISTRIBUTED_WORKERS=dist_list)
        for wl in workloads:
            n, m = wl.sizes(args.scale)
            log(f"\n== {wl.id} {wl.stem} ({n}x{m}): {wl.what}")
            given_up: set[str] = set()
            for rep in range(args.reps):
                k = rep % len(SYSTEMS)
                for s in SYSTEMS[k:] + SYSTEMS[:k]:
                    if s.key in given_up:
                        continue
                    size = [f"n={n}", f"m={m}"]
                    if s.kind == "daphne":
                        argv = [daphne, *s.flags, str(WORKLOAD_DIR / f"{wl.stem}.daph"), *size]
                        env = dist_env if s.key == "dist" else daphne_env
                    else:
                        argv = [args.python, str(WORKLOAD_DIR / f"{wl.stem}_numpy.py"), *size]
                        env = numpy_env
                    if s.key == "dist":
                        gone = workers.dead()
                        if gone:
                            msg = f"{wl.id}: a worker is gone, no more distributed runs: " + "; ".join(gone)
                            loud(msg)
                            failures.append(msg)
                            given_up.add(s.key)
                            continue
                    rc, wall, out, err, rss = bench.run_once(argv, env, args.timeout)
                    value, gen, compute = bench.parse_output(out)
                    r = Run(wl.id, s.key, rep + 1, argv, False, "ok", wall, gen, compute, value, rss,
                            stderr_tail="\n".join(err.strip().splitlines()[-15:]))
                    if s.key == "dist":
                        mt = STATS.search(err)
                        r.dist_stats = {k2: int(v) for k2, v in mt.groupdict().items()} if mt else None
                    if rc is None:
                        r.status = f"timeout after {args.timeout:g} s"
                    elif rc != 0:
                        r.status = f"exit {rc}"
                    elif value is None or compute is None:
                        r.status = "no RESULT/TIME lines in stdout"
                    elif s.key == "dist" and r.dist_stats is None:
                        r.status = "no --dist-stats line in stderr"
                    elif s.key == "dist" and r.dist_stats["pipelines"] == 0:
                        r.status = "no pipeline ran on the workers"
                    else:
                        r.ok = True
                    runs.append(r)
                    if r.ok:
                        extra = ""
                        if r.dist_stats:
                            d = r.dist_stats
                            extra = (f"  sent {fmt_mb(d['sent_bytes'])} fetched {fmt_mb(d['fetched_bytes'])}"
                                     f" pipelines {d['pipelines']}+{d['local']} local"
                                     + (f" LOST {d['lost']}" if d["lost"] else ""))
                        log(f"  rep {rep + 1}/{args.reps} {s.label:<21} compute {compute:.3f} s  gen {gen:.3f} s  "
                            f"rss {rss:.0f} MB  value={value!r}{extra}")
                    else:
                        given_up.add(s.key)
                        msg = (f"{wl.id} FAILED on {s.label} ({r.status}): {' '.join(argv)}"
                               + (f"\n    stderr: " + r.stderr_tail.replace("\n", "\n    stderr: ") if r.stderr_tail else ""))
                        loud(msg)
                        failures.append(msg)
    except (KeyboardInterrupt, Interrupted) as e:
        interrupted = "Ctrl-C" if isinstance(e, KeyboardInterrupt) else str(e)
    except RuntimeError as e:  # workers that do not start
        loud(str(e))
        failures.append(str(e))
    finally:
        workers.stop()
        log("stopped the workers" + (f" (peak RSS {', '.join(f'{x:.0f}' if x else '?' for x in workers.peak_rss_mb)} MB)"
                                     if workers.peak_rss_mb else ""))
    if interrupted:
        log(f"interrupted ({interrupted}); the workers are stopped, partial results follow")

    # ---- summary ----
    summary: dict = {}
    check_failures: list[str] = []
    for wl in workloads:
        n, m = wl.sizes(args.scale)
        s_wl: dict = {"size": f"{n}x{m}", "n": n, "m": m, "systems": {}}
        for s in SYSTEMS:
            ok = [r for r in runs if r.workload == wl.id and r.system == s.key and r.ok]
            if not ok:
                s_wl["systems"][s.key] = None
                continue
            e = {"reps": len(ok), "compute": statistics.median(r.compute for r in ok),
                 "gen": statistics.median(r.gen for r in ok if r.gen is not None),
                 "wall": statistics.median(r.wall for r in ok), "value": statistics.median(r.value for r in ok),
                 "maxrss_mb": max(r.maxrss_mb for r in ok)}
            if s.key == "dist":
                e["dist_stats"] = ok[-1].dist_stats
            s_wl["systems"][s.key] = e
        expected = wl.expected(n, m)
        vals = {k: v["value"] for k, v in s_wl["systems"].items() if v}
        problems = []
        for k, v in vals.items():
            e = rel(v, expected) if math.isfinite(v) else math.inf
            if not e <= wl.tol:
                problems.append(f"{LABEL[k]} value {v:.6g} vs expected {expected:.6g}: rel. diff {e:.2e} > {wl.tol:g}")
        keys = list(vals)
        for i in range(len(keys)):
            for j in range(i + 1, len(keys)):
                a, b = vals[keys[i]], vals[keys[j]]
                d = rel(a, b) if math.isfinite(a) and math.isfinite(b) else math.inf
                if not d <= wl.tol:
                    problems.append(f"{LABEL[keys[i]]} {a:.6g} and {LABEL[keys[j]]} {b:.6g} disagree: "
                                    f"rel. diff {d:.2e} > {wl.tol:g}")
        dv = rel(vals["dist"], vals["vec"]) if "dist" in vals and "vec" in vals else None
        s_wl["check"] = {"expected": expected, "tol": wl.tol, "ok": not problems, "values": bool(vals),
                         "dist_vs_vec_rel_diff": dv, "problems": problems}
        for p in problems:
            check_failures.append(f"{wl.id}: {p}")
            loud(f"CHECK FAILED {wl.id}: {p}")
        summary[wl.id] = s_wl

    # ---- report ----
    P = print
    P("# DAPHNE distributed (2 local workers) vs local --vec vs NumPy\n")
    P(f"- machine: {info['nproc']} CPUs (usable {info['usable_cpus']}), {info['cpu_model']}, {info['mem_total_gb']} GB RAM, "
      f"load average at start {' '.join(info['loadavg_start'] or [])}")
    P(f"- daphne: {info['daphne']}, repository commit {info['git_commit']}")
    P(f"- numpy {info['numpy']} ({info['blas']}), Python {info['python']}, default threads")
    P(f"- workers: 2 x `DistributedWorker --num-threads {args.worker_threads}` on 127.0.0.1 (same machine as the "
      f"coordinator), peak RSS {', '.join(f'{x:.0f}' if x else '?' for x in workers.peak_rss_mb) or '?'} MB")
    P(f"- reps {args.reps} (median), scale {args.scale:g} (rows only), interleaved")
    if interrupted:
        P(f"- **interrupted** ({interrupted}): partial results")
    P()
    P("## Compute time (median seconds, inside the script)\n")
    P("dist / vec > 1: distributed is slower than local `--vec`; numpy / dist > 1: distributed is faster than NumPy.\n")
    head = ["workload", "size", "daphne --vec", "daphne --distributed", "numpy", "dist / vec", "numpy / dist",
            "numpy / vec", "sent", "fetched", "check"]
    P("| " + " | ".join(head) + " |")
    P("|" + "|".join(["---", "---"] + ["---:"] * 8 + [":---"]) + "|")
    for wl in workloads:
        s_wl = summary[wl.id]
        t = {k: (v["compute"] if v else None) for k, v in s_wl["systems"].items()}
        ds = (s_wl["systems"]["dist"] or {}).get("dist_stats") or {}
        status = "**no run succeeded**" if not s_wl["check"]["values"] else ("ok" if s_wl["check"]["ok"] else "**FAIL**")
        missing = [LABEL[k] for k, v in s_wl["systems"].items() if not v]
        if missing and s_wl["check"]["values"]:
            status += ", **run failed**: " + ", ".join(missing)
        if s_wl["check"]["dist_vs_vec_rel_diff"] is not None:
            status += f" (dist vs vec rel. diff {s_wl['check']['dist_vs_vec_rel_diff']:.1e})"
        row = [wl.id, s_wl["size"], fmt_t(t["vec"]), fmt_t(t["dist"]), fmt_t(t["numpy"]),
               fmt_ratio(t["dist"], t["vec"]), fmt_ratio(t["numpy"], t["dist"]), fmt_ratio(t["numpy"], t["vec"]),
               fmt_mb(ds["sent_bytes"]) if ds else "—", fmt_mb(ds["fetched_bytes"]) if ds else "—", status]
        P("| " + " | ".join(row) + " |")
    P()
    P("## Generation time, wall time of the process, peak RSS of the coordinator/process, values\n")
    head = ["workload", "system", "gen s", "wall s", "RSS MB", "value", "expected", "tol", "dist-stats"]
    P("| " + " | ".join(head) + " |")
    P("|" + "|".join(["---", "---"] + ["---:"] * 6 + ["---"]) + "|")
    for wl in workloads:
        s_wl = summary[wl.id]
        for s in SYSTEMS:
            v = s_wl["systems"][s.key]
            ds = v.get("dist_stats") if v else None
            dtxt = (f"{ds['pipelines']} pipelines on workers, {ds['local']} local; sent {ds['sent']} objects, "
                    f"fetched {ds['fetched']}, kept {ds['kept']}, lost {ds['lost']}") if ds else ""
            P("| " + " | ".join([wl.id, s.label, fmt_t(v["gen"]) if v else "—", fmt_t(v["wall"]) if v else "—",
                                 f"{v['maxrss_mb']:.0f}" if v else "—", fmt_v(v["value"]) if v else "—",
                                 f"{s_wl['check']['expected']:.6g}", f"{wl.tol:g}", dtxt]) + " |")
    P()
    if args.transfer_mib > 0:
        P(f"## Store/Transfer throughput (examples/transfer_throughput, {args.transfer_mib} MiB dense f64, "
          f"one worker `--num-threads 1`, GB = 1e9 bytes, median of {args.reps})\n")
        if transfer:
            P("| store GB/s | transfer GB/s | encode | upload | Store RPC | wait (s) | download | decode | chunk bytes |")
            P("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            P("| " + " | ".join([f"{transfer['store_gbps']:.3f}", f"{transfer['transfer_gbps']:.3f}",
                                 f"{transfer['encode_gbps']:.3f}", f"{transfer['upload_gbps']:.3f}",
                                 f"{transfer['store_rpc_gbps']:.3f}", f"{transfer['wait_s']:.3f}",
                                 f"{transfer['download_gbps']:.3f}", f"{transfer['decode_gbps']:.3f}",
                                 f"{int(transfer['chunk_bytes'])}"]) + " |")
            P("\nstore = encode + Store RPC (upload, then the worker decodes and keeps the object); transfer = Transfer "
              "RPC (the worker encodes, `wait` to the first chunk, then download) + decode here.")
            for wl in workloads:
                ds = (summary[wl.id]["systems"]["dist"] or {}).get("dist_stats")
                t = (summary[wl.id]["systems"]["dist"] or {}).get("compute")
                if ds and t and transfer["store_gbps"] > 0:
                    est = ds["sent_bytes"] / 1e9 / transfer["store_gbps"]
                    P(f"- {wl.id}: the {fmt_mb(ds['sent_bytes'])} sent at one stream's store rate would take "
                      f"{est:.2f} s (the distributed compute median is {fmt_t(t)} s; the coordinator sends to both "
                      f"workers at once)")
        else:
            P(f"**failed**: {transfer_err or 'interrupted'}")
    if failures or check_failures:
        P("\n## FAILURES\n")
        for f in failures:
            P("- run: " + f.replace("\n", "\n  "))
        for f in check_failures:
            P("- check: " + f)

    if args.json:
        info["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else None
        doc = {"machine": info,
               "options": {"reps": args.reps, "scale": args.scale, "timeout": args.timeout,
                           "worker_threads": args.worker_threads, "transfer_mib": args.transfer_mib,
                           "workloads": [w.id for w in workloads]},
               "workers_peak_rss_mb": workers.peak_rss_mb, "interrupted": interrupted,
               "summary": summary, "transfer": transfer, "runs": [r.__dict__ for r in runs],
               "failures": failures, "check_failures": check_failures}
        Path(args.json).write_text(json.dumps(doc, indent=2))
        log(f"\nraw numbers written to {args.json}")
    if interrupted:
        return 130
    return 1 if failures or check_failures else 0


if __name__ == "__main__":
    sys.exit(main())
