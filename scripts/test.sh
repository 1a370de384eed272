#!/usr/bin/env bash
# Sets up the toolchain (idempotent) and runs every test of the workspace. This is the README's
# test command and what CI runs. Snapshots are never written here when CI=true (insta's default).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo test --workspace
