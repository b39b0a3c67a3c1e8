"""How the app is served: the server's upload limit and the error details users see."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest
from streamlit import config

from loaders import intake

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".streamlit" / "config.toml"


@pytest.fixture
def streamlit_config(monkeypatch):
    """Streamlit's options as `streamlit run` in the repository reads them."""
    monkeypatch.chdir(ROOT)
    config.get_config_options(force_reparse=True)
    yield config
    config.get_config_options(force_reparse=True)


def test_the_server_refuses_uploads_above_the_import_limit(streamlit_config, monkeypatch):
    # Streamlit holds an upload in memory up to server.maxUploadSize (default 200 MB) before the
    # page can refuse it: four 150 MB uploads to a locked page took the server to 900 MB.
    monkeypatch.delenv(intake.MAX_MB_ENV, raising=False)
    written = tomllib.loads(CONFIG.read_text("utf-8"))["server"]["maxUploadSize"]
    assert written == intake.upload_limit_mb() == intake.DEFAULT_MAX_MB
    assert streamlit_config.get_option("server.maxUploadSize") == intake.upload_limit_mb()


@pytest.mark.parametrize(("limit", "upload_mb"), [("50", "50"), ("0.5", "1"), ("7.2", "8")])
def test_run_sh_gives_the_server_the_limit_set_in_IMPORT_MAX_MB(limit, upload_mb):
    script = (ROOT / "run.sh").read_text("utf-8")
    assert '--server.maxUploadSize "$UPLOAD_MB"' in script
    (line,) = [s for s in script.splitlines() if s.startswith("UPLOAD_MB=")]
    done = subprocess.run(
        ["bash", "-c", f'{line}\necho "$UPLOAD_MB"'],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", intake.MAX_MB_ENV: limit},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == upload_mb, done.stderr


def test_users_see_no_error_details(streamlit_config):
    # "full" showed a traceback with the server's paths (OSError: File name too long: '/…')
    assert streamlit_config.get_option("client.showErrorDetails") == "none"


def test_a_server_started_without_run_sh_limits_is_told_in_the_log(streamlit_config, monkeypatch):
    from dashboard import serving

    monkeypatch.delenv(intake.MAX_MB_ENV, raising=False)
    assert not [w for w in serving.warnings() if "maxUploadSize" in w]
    streamlit_config.set_option("server.maxUploadSize", 200)  # Streamlit's default
    assert any("exceeds the import limit of 20 MB" in w for w in serving.warnings())
