#!/usr/bin/env bash
# Fails when the runtime crate depends on the network stack: the distributed runtime (and only
# it, with the worker) may pull tonic, prost, tokio or protox; the runtime defines the
# Distributor seam and never names them (README, Architecture).
set -euo pipefail
cd "$(dirname "$0")/.."
forbidden='^(tonic|tonic-[a-z-]+|prost|prost-[a-z-]+|tokio|tokio-[a-z-]+|protox|protox-[a-z-]+) v'
deps=$( (cargo tree -p daphne-runtime -e normal,build --prefix none --offline 2>/dev/null || cargo tree -p daphne-runtime -e normal,build --prefix none) | sed "s/ (\*)$//" | sort -u)
if found=$(grep -E "$forbidden" <<<"$deps" | sort -u) && [ -n "$found" ]; then
  echo "check-deps: daphne-runtime must not depend on the network stack, but it pulls:" >&2
  echo "$found" | sed 's/^/  /' >&2
  exit 1
fi
if grep -q '^daphne-distributed v' <<<"$deps"; then
  echo "check-deps: daphne-runtime must not depend on daphne-distributed" >&2
  exit 1
fi
echo "check-deps: daphne-runtime depends on no network crate ($(sort -u <<<"$deps" | wc -l) crates)"
