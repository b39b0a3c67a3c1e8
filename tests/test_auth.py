"""The import password: a salted slow hash, the legacy sha256 with a warning, throttled guesses."""

from __future__ import annotations

import hashlib
import logging
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard import auth

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "绩效-2024"
FORMAT = re.compile(r"scrypt\$(\d+)\$(\d+)\$(\d+)\$([0-9a-f]{32})\$([0-9a-f]{64})")


@pytest.fixture
def configured(monkeypatch):
    """Configure a stored hash through the environment, as run.sh would."""
    monkeypatch.delenv(auth.LEGACY_ENV_VAR, raising=False)

    def configure(stored: str) -> None:
        monkeypatch.setenv(auth.ENV_VAR, stored)

    return configure


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_hash_is_salted_and_slow():
    first, second = auth.hash_password(PASSWORD), auth.hash_password(PASSWORD)
    assert first != second  # a salt of its own each time: no rainbow table, no equal hashes
    n, r, p, _, _ = FORMAT.fullmatch(first).groups()
    assert int(n) >= 2**14 and int(r) >= 8 and int(p) >= 1
    assert auth.verify(PASSWORD, first) and auth.verify(PASSWORD, second)
    assert not auth.verify(PASSWORD + " ", first) and not auth.verify("", first)
    started = time.perf_counter()
    auth.verify("a guess", first)
    assert time.perf_counter() - started > 0.01  # sha256 took about a microsecond


@pytest.mark.parametrize(
    "stored",
    [
        "scrypt$16384$8$1$00$00",  # salt and hash too short
        "scrypt$1000$8$1$" + "0" * 32 + "$" + "0" * 64,  # n not a power of two
        "scrypt$1073741824$8$1$" + "0" * 32 + "$" + "0" * 64,  # 128 GiB of memory per guess
        "pbkdf2$1$" + "0" * 32,
        "not-a-hash",
        "0" * 63,
    ],
)
def test_a_malformed_hash_matches_nothing_and_turns_imports_off(configured, stored):
    configured(stored)
    assert auth.misconfigured() and not auth.check(PASSWORD) and not auth.check(stored)


def test_the_legacy_sha256_is_accepted_with_a_warning(configured, caplog):
    configured(hashlib.sha256(PASSWORD.encode()).hexdigest().upper())
    assert not auth.misconfigured() and auth.legacy()
    with caplog.at_level(logging.WARNING, logger="dashboard.auth"):
        assert auth.check(PASSWORD) and not auth.check("wrong")
    assert "python -m dashboard.auth" in caplog.text


def test_the_old_variable_name_is_still_read(monkeypatch):
    monkeypatch.delenv(auth.ENV_VAR, raising=False)
    monkeypatch.setenv(auth.LEGACY_ENV_VAR, auth.hash_password(PASSWORD))
    assert auth.required() and auth.check(PASSWORD) and not auth.check("wrong")


def test_the_command_prints_the_new_format():
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.auth"],
        cwd=ROOT,
        input=f"{PASSWORD}\n{PASSWORD}\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    line = next(s for s in done.stdout.splitlines() if s.startswith(auth.ENV_VAR + "="))
    stored = line.split("=", 1)[1].strip("'")  # single quotes: the shell would expand $16384
    assert FORMAT.fullmatch(stored) and auth.verify(PASSWORD, stored)
    assert f'{auth.SECRET_KEY} = "{stored}"' in done.stdout


def test_the_command_refuses_a_mistyped_confirmation():
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.auth"],
        cwd=ROOT,
        input=f"{PASSWORD}\n{PASSWORD}x\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "scrypt$" not in done.stdout


def test_each_failure_doubles_the_wait_and_the_right_password_waits_too(configured, monkeypatch):
    configured(auth.hash_password(PASSWORD))
    clock = Clock()
    monkeypatch.setattr(auth, "clock", clock)
    state: dict = {}
    waits = []
    for _ in range(4):
        assert not auth.unlock("wrong", state)
        waits.append(auth.wait_seconds(state))
        assert not auth.unlock(PASSWORD, state)  # locked out: not even checked
        clock.now += waits[-1]
    assert waits == [1, 2, 4, 8]
    assert auth.unlock(PASSWORD, state) and auth.unlocked(state)
    assert auth.wait_seconds(state) == 0
    assert not auth.unlock("wrong", state) and auth.wait_seconds(state) == 1  # counting anew


def test_twenty_wrong_guesses_take_hours_not_seconds(configured, monkeypatch):
    configured(auth.hash_password(PASSWORD))
    # as fast as one session can: for three real seconds …
    state: dict = {}
    checked = 0
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        if auth.wait_seconds(state) == 0:
            checked += 1
        auth.unlock(f"guess {checked}", state)
    assert checked <= 3  # was 20 guesses in 4.7 s
    # … and the earliest moment a 20th guess is checked, on a clock moved ahead by each wait
    clock = Clock()
    monkeypatch.setattr(auth, "clock", clock)
    state = {}
    started = clock.now
    for guess in range(20):
        clock.now += auth.wait_seconds(state)
        assert not auth.unlock(f"guess {guess}", state)
    assert clock.now - started > 3600


# -- open to the network without a password ------------------------------------------------------

OPEN = "任何人都可以导入和移除文档"


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("", False),  # Streamlit's default: every interface
        ("::", False),
        ("10.1.2.3", False),
        ("dashboard.intranet", False),
    ],
)
def test_loopback_addresses(address, loopback):
    assert auth.is_loopback(address) is loopback


def test_the_warning_needs_both_an_open_address_and_no_password(configured, monkeypatch):
    monkeypatch.delenv(auth.ENV_VAR, raising=False)
    monkeypatch.setattr(auth, "configured_hash", lambda: None)
    assert OPEN in auth.exposure_warning("0.0.0.0")
    assert auth.exposure_warning("127.0.0.1") is None
    monkeypatch.setattr(auth, "configured_hash", lambda: auth.hash_password(PASSWORD))
    assert auth.exposure_warning("0.0.0.0") is None


@pytest.mark.parametrize(
    ("address", "password", "warned"),
    [("0.0.0.0", False, True), ("0.0.0.0", True, False), ("127.0.0.1", False, False)],
)
def test_run_sh_warns_loudly_when_anyone_can_import(tmp_path, address, password, warned):
    assert 'python -m dashboard.auth --warn-if-open "$ADDRESS"' in (ROOT / "run.sh").read_text()
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    if password:
        env[auth.ENV_VAR] = auth.hash_password(PASSWORD)
    done = subprocess.run(  # in tmp_path: no .streamlit/secrets.toml of the developer's
        [sys.executable, "-m", "dashboard.auth", "--warn-if-open", address],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (OPEN in done.stderr) is warned
