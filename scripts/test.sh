#!/usr/bin/env bash
# Sets up the toolchain (idempotent; it also builds the Python package into .venv), checks
# formatting, lints and the crate layering, and runs every test of the workspace and the Python
# package. This is the README's test command and what CI runs. Snapshots are
# never written here when CI=true (insta's default).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo fmt --all --check
bash scripts/check-deps.sh
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
# The Python API's tests (python/tests): they compare against the `daphne` and
# `DistributedWorker` binaries `cargo test` just built.
DAPHNE_REQUIRE_BINARIES=1 .venv/bin/python -m pytest python/tests -q
