#!/usr/bin/env bash
# Sets up the toolchain (idempotent), builds `daphne` and `DistributedWorker`, and runs the main
# example distributed: with DISTRIBUTED_WORKERS unset, `daphne --distributed` starts two local
# workers on free loopback ports, runs the script's pipelines on them and stops them at exit.
# With DISTRIBUTED_WORKERS=host:port,... set, it uses those workers instead.
set -euo pipefail
cd "$(dirname "$0")/.."
DAPHNE_PYTHON_PROFILE=release bash scripts/setup.sh
cargo build --release --bin daphne --bin DistributedWorker
./target/release/daphne --distributed --dist-stats scripts/examples/distributed.daph
