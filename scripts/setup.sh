#!/usr/bin/env bash
# Shared set-up for run.sh and test.sh: virtual environment, Python packages, Debian packages.
# Idempotent and quiet when nothing changed; sourced, so it must not `exit` on success.
set -euo pipefail

PYTHON=${PYTHON:-python3}
VENV=.venv

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi

# requirements.lock pins every package, transitive ones included, with the sha256 of each file
# (generated from requirements.txt, see README); pip refuses any download that does not match.
# Installed again whenever the lock changes.
lock_sha=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ "$(cat "$VENV/.requirements.lock.sha256" 2>/dev/null)" != "$lock_sha" ]; then
  echo "[setup] installing requirements.lock (hashes checked)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes \
    -r requirements.lock
  echo "$lock_sha" > "$VENV/.requirements.lock.sha256"
fi

# Chart images need a Chromium for kaleido and CJK fonts for the glyphs; the browser tests need
# Chromium too. Install them when missing and we can (root with apt-get); otherwise say so.
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# fc-list's output is read whole first: under pipefail, `fc-list | grep -q` failed whenever grep
# stopped at the first match and fc-list died of SIGPIPE, so installed fonts looked missing.
fonts=$(fc-list 2>/dev/null || true)
if [[ ${fonts,,} != *"noto sans cjk"* ]]; then need+=(fonts-noto-cjk); fi
# .doc and .wps files are converted by LibreOffice headless (loaders/legacy.py), which also prints
# the synthetic documents to the PDFs the PDF reader is tested on (bench/make_pdfs.py): Writer and
# Calc without their recommends (no Java, no desktop integration). Without it .doc/.wps files get
# a finding that says what to install; everything else loads.
office=()
command -v soffice >/dev/null 2>&1 || office+=(libreoffice-writer libreoffice-calc)
if [ ${#need[@]} -gt 0 ] || [ ${#office[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[setup] installing Debian packages: ${need[*]:-} ${office[*]:-}"
    apt-get update -qq >/dev/null
    if [ ${#need[@]} -gt 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    fi
    if [ ${#office[@]} -gt 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${office[@]}" >/dev/null
    fi
  else
    if [ ${#need[@]} -gt 0 ]; then
      echo "[setup] missing ${need[*]}: image export falls back to HTML (install them with apt-get as root)" >&2
    fi
    if [ ${#office[@]} -gt 0 ]; then
      echo "[setup] missing LibreOffice: .doc/.wps files stay unread (apt-get install --no-install-recommends ${office[*]} as root)" >&2
    fi
  fi
fi

