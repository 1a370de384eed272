#!/usr/bin/env python3
"""Measures compatibility with DAPHNE: runs every `test/api/cli/<category>/<name>.daphne` of a
DAPHNE checkout that has an expected `<name>.txt` through our `daphne` binary and compares stdout
byte for byte. Prints the pass rate per category and overall.

Usage: scripts/daphne-compat.py <daphne-checkout> [--bin target/release/daphne] [--verbose]
The checkout is not part of this repository (fetch github.com/daphne-eu/daphne yourself).
"""
import argparse
import os
import subprocess
import sys

EXCLUDED = {"sql", "codegen", "extensibility", "config", "import", "secondorder"}

# Flags DAPHNE's own tests pass (from the categories' *Test.cpp files), by script-name prefix.
FLAGS = [
    ("expressions/matrix_literal_", ["--select-matrix-repr"]),
    ("operations/typeOfSparse_", ["--select-matrix-repr=1"]),
    ("vectorized/runEwBinarySparse", ["--select-matrix-representations", "--vec"]),
    ("vectorized/runColAggSparse", ["--select-matrix-representations", "--vec"]),
    ("vectorized/run", ["--vec"]),
    ("vectorized/pipeline_", ["--vec"]),
]


def flags_for(rel):
    for prefix, flags in FLAGS:
        if rel.startswith(prefix):
            return flags
    return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("daphne")
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "daphne"))
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    root = os.path.join(args.daphne, "test", "api", "cli")
    results = {}
    failures = []
    for cat in sorted(os.listdir(root)):
        d = os.path.join(root, cat)
        if cat in EXCLUDED or not os.path.isdir(d):
            continue
        for dirpath, _, files in os.walk(d):
            for f in sorted(files):
                if not f.endswith(".daphne"):
                    continue
                script = os.path.join(dirpath, f)
                expected_path = script[: -len(".daphne")] + ".txt"
                if not os.path.exists(expected_path):
                    continue
                rel = os.path.relpath(script, root)[: -len(".daphne")]
                cmd = [args.bin] + flags_for(rel) + [os.path.relpath(script, args.daphne)]
                try:
                    p = subprocess.run(cmd, cwd=args.daphne, capture_output=True, timeout=args.timeout)
                    out, err, rc = p.stdout, p.stderr, p.returncode
                except subprocess.TimeoutExpired:
                    out, err, rc = b"", b"timeout", -1
                with open(expected_path, "rb") as fh:
                    expected = fh.read()
                ok = out == expected
                results.setdefault(cat, []).append(ok)
                if not ok:
                    failures.append((rel, rc, err.decode(errors="replace").strip().splitlines()[:3]))
    total = sum(len(v) for v in results.values())
    passed = sum(sum(v) for v in results.values())
    print(f"{'category':<14} {'passed':>7} {'total':>6} {'rate':>7}")
    for cat, v in results.items():
        print(f"{cat:<14} {sum(v):>7} {len(v):>6} {100.0 * sum(v) / len(v):>6.1f}%")
    print(f"{'overall':<14} {passed:>7} {total:>6} {100.0 * passed / max(total, 1):>6.1f}%")
    if args.verbose:
        for rel, rc, err in failures:
            print(f"FAIL {rel} (exit {rc}): {' | '.join(err)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
