#!/usr/bin/env bash
# Sets up the toolchain (idempotent), builds `daphne` and runs the main example: today that is
# compiling a script and printing its IR (`--explain parsing`); later issues turn it into a
# distributed run on local workers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --bin daphne
./target/release/daphne --explain parsing scripts/examples/linear-regression.daph
