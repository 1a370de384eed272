#!/usr/bin/env python3
"""Measures how many of DAPHNE's own DaphneLib test pairs our Python package passes: reads the
test list of `test/api/python/DaphneLibTest.cpp` in a DAPHNE checkout, runs each `<name>.py`
with this repository's Python package and its `<name>.daphne` twin with our `daphne`, and
compares them as DAPHNE's test does (stdout byte for byte and empty stderr; the `_SCALAR` cases
line by line within 0.1; the `_STR` cases against the given text). Cases that need PyTorch or
TensorFlow count as skipped when those are not installed.

Usage: scripts/daphnelib-compat.py <daphne-checkout> [--python .venv/bin/python]
       [--bin target/debug/daphne] [--verbose]
The checkout is not part of this repository (fetch github.com/daphne-eu/daphne yourself); its
tests are read where they are, never copied.
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def cases(cpp):
    """(macro, name, extra) for each MAKE_TEST_CASE* line that is not commented out."""
    out = []
    for line in open(cpp):
        s = line.strip()
        if s.startswith("//") or s.startswith("#define"):
            continue
        m = re.match(r'MAKE_TEST_CASE(_[A-Z]+)?\("([^"]+)"(?:,\s*(.+))?\)\s*$', s)
        if not m:
            continue
        extra = m.group(3)
        if extra is not None and extra.startswith('"'):
            extra = bytes(extra.strip('"'), "utf-8").decode("unicode_escape")
        out.append((m.group(1) or "", m.group(2), extra))
    return out


def run(cmd, cwd, timeout, env):
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=timeout, env=env)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return -1, "", "timeout"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("daphne")
    ap.add_argument("--python", default=os.path.join(ROOT, ".venv", "bin", "python"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "debug", "daphne"))
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--timeout", type=float, default=120.0)
    args = ap.parse_args()
    tdir = os.path.join(args.daphne, "test", "api", "python")
    cpp = os.path.join(tdir, "DaphneLibTest.cpp")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(ROOT, "python") + os.pathsep + env.get("PYTHONPATH", "")
    have = {
        "DAPHNE_DEP_AVAIL_PYTORCH": subprocess.run([args.python, "-c", "import torch"], capture_output=True).returncode == 0,
        "DAPHNE_DEP_AVAIL_TENSFORFLOW": subprocess.run([args.python, "-c", "import tensorflow"], capture_output=True).returncode == 0,
    }
    passed, failed, skipped = [], [], []
    # DAPHNE's tests run from the checkout's root and name files relative to it.
    cwd = args.daphne
    for macro, name, extra in cases(cpp):
        label = name + (f" {extra}" if macro == "_PARAMETRIZED" else "")
        if macro == "_ENVVAR":
            var = extra.strip().strip('"')
            if not have.get(var, False):
                skipped.append(label)
                continue
        py = os.path.join(tdir, name + ".py")
        dsl = os.path.join(tdir, name + ".daphne")
        pargs = [extra] if macro == "_PARAMETRIZED" else []
        lc, lout, lerr = run([args.python, py] + pargs, cwd, args.timeout, env)
        ok, why = True, ""
        if macro == "_STR":
            ok = lc == 0 and lout == extra and lerr == ""
            why = f"expected {extra!r}"
        else:
            dc, dout, derr = run([args.bin, dsl] + pargs, cwd, args.timeout, env)
            if macro == "_SCALAR":
                ok = lc == 0 and dc == 0 and derr == "" and lerr == ""
                if ok:
                    for a, b in zip(lout.splitlines(), dout.splitlines()):
                        try:
                            if float(a) - float(b) > 0.1:
                                ok = False
                        except ValueError:
                            ok = False
            else:
                ok = lc == 0 and dc == 0 and lout == dout and derr == "" and lerr == ""
            why = f"daphne exit {dc}, stdout {dout[:300]!r}, stderr {derr[:300]!r}"
        (passed if ok else failed).append(label)
        if args.verbose or not ok:
            print(f"{'PASS' if ok else 'FAIL'} {label}")
            if not ok:
                print(f"    python exit {lc}, stdout {lout[:300]!r}\n    stderr {lerr[-600:]!r}\n    {why}")
    total = len(passed) + len(failed)
    print(f"\n{len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped (PyTorch/TensorFlow not installed)")
    if total:
        print(f"pass rate: {100.0 * len(passed) / total:.1f}% of {total} cases run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
