#!/usr/bin/env bash
# Run the dashboard: set up, rebuild the parquet when data/raw changed, serve on 127.0.0.1:8501.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh
.venv/bin/python -m loaders build --raw data/raw --out data/parquet --if-changed
ADDRESS=${BIND_ADDRESS:-127.0.0.1}
PORT=${PORT:-8501}
# Streamlit's upload limit follows the import limit (IMPORT_MAX_MB, default 20 MB).
UPLOAD_MB=$(.venv/bin/python -c 'from loaders import intake; print(intake.upload_limit_mb())')
# Listening beyond this machine without an import password: say loudly that anyone can import.
.venv/bin/python -m dashboard.auth --warn-if-open "$ADDRESS"
echo "[run] 绩效看板 on http://$ADDRESS:$PORT"
exec .venv/bin/python -m streamlit run app.py --server.address "$ADDRESS" --server.port "$PORT" \
  --server.headless true --browser.gatherUsageStats false --server.maxUploadSize "$UPLOAD_MB"
