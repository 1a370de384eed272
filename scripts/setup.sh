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
