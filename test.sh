#!/usr/bin/env bash
# Run the whole test suite after the same set-up as run.sh.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh
.venv/bin/python -m loaders build --raw data/raw --out data/parquet --if-changed
exec .venv/bin/python -m pytest "$@"
