"""Import password: importing and removing documents need it when configured; reading never does.

The password is configured as a salted scrypt hash, `scrypt$n$r$p$<salt hex>$<hash hex>`, in the
environment variable IMPORT_PASSWORD_HASH or as import_password_hash in .streamlit/secrets.toml
(the variable wins). `python -m dashboard.auth` prints one for a password typed at the prompt.
The names of earlier versions (IMPORT_PASSWORD_SHA256, import_password_sha256) are still read,
and a bare 64-hex sha256 is still accepted, with a warning in the log and on the page to
re-generate it: an unsalted fast hash falls to an offline guesser in seconds.

Failed attempts are throttled per session: after the k-th wrong password in a row, no attempt is
checked for FIRST_DELAY_S * 2**(k-1) seconds (at most MAX_DELAY_S), and the page says how long
to wait. Nothing sleeps: a refused attempt costs the server nothing.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import hmac
import ipaddress
import logging
import os
import re
import secrets
import sys
import time
from collections.abc import MutableMapping

import streamlit as st

log = logging.getLogger(__name__)

ENV_VAR = "IMPORT_PASSWORD_HASH"
SECRET_KEY = "import_password_hash"
# Read when the new names are not set: set-ups from before the salted hash.
LEGACY_ENV_VAR = "IMPORT_PASSWORD_SHA256"
LEGACY_SECRET_KEY = "import_password_sha256"
# Session flag: the hash the session was unlocked with (a changed password locks it again).
UNLOCKED_KEY = "_import_unlocked_with"
# Session throttle: wrong passwords in a row, and until when (clock()) no attempt is checked.
FAILURES_KEY = "_import_failures"
LOCKED_UNTIL_KEY = "_import_locked_until"
FIRST_DELAY_S = 1.0
MAX_DELAY_S = 15 * 60.0
# scrypt's cost: 16 MiB and about 50 ms per guess on the 2-core server.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES, HASH_BYTES = 16, 32
# A stored hash may ask for at most this much memory per check (it could come from anywhere).
MAX_SCRYPT_MEMORY = 128 * 2**20
_SCRYPT = re.compile(r"scrypt\$(\d{1,10})\$(\d{1,3})\$(\d{1,3})\$([0-9a-f]{32,})\$([0-9a-f]{64,})")
_LEGACY = re.compile(r"[0-9a-f]{64}")
# The clock of the throttle (tests move it by hand).
clock = time.monotonic


def hash_password(password: str) -> str:
    """The line to configure: scrypt with a fresh random salt, parameters included."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, size: int) -> bytes:
    memory = 128 * n * r * p
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=memory + 2**20, dklen=size
    )


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    """(n, r, p, salt, hash) of a usable scrypt line, or None."""
    match = _SCRYPT.fullmatch(stored)
    if not match:
        return None
    n, r, p = (int(g) for g in match.groups()[:3])
    salt, digest = match.group(4), match.group(5)
    if n < 2 or n & (n - 1) or not (1 <= r and 1 <= p) or 128 * n * r * p > MAX_SCRYPT_MEMORY:
        return None
    if len(salt) % 2 or len(digest) % 2:
        return None
    return n, r, p, bytes.fromhex(salt), bytes.fromhex(digest)


def verify(password: str, stored: str) -> bool:
    """Does password match the stored line (scrypt, or a legacy sha256 hex digest)?"""
    stored = stored.strip().lower()
    if _LEGACY.fullmatch(stored):
        computed = hashlib.sha256(password.encode("utf-8")).hexdigest()
        return hmac.compare_digest(computed, stored)
    parsed = _parse(stored)
    if parsed is None:
        return False
    n, r, p, salt, digest = parsed
    return hmac.compare_digest(_scrypt(password, salt, n, r, p, len(digest)), digest)


def configured_hash() -> str | None:
    """The configured line (lower case), or None when no password is configured."""
    value = os.environ.get(ENV_VAR, "").strip() or os.environ.get(LEGACY_ENV_VAR, "").strip()
    if not value and st.secrets.load_if_toml_exists():
        for key in (SECRET_KEY, LEGACY_SECRET_KEY):
            value = str(st.secrets.get(key) or "").strip()
            if value:
                break
    return value.lower() or None


def required() -> bool:
    return configured_hash() is not None


def legacy() -> bool:
    """The configured line is an unsalted sha256 from an earlier version: accepted, with a warning."""
    stored = configured_hash()
    return stored is not None and _LEGACY.fullmatch(stored) is not None


def misconfigured() -> bool:
    """A line is configured that no password can match: imports stay off."""
    stored = configured_hash()
    return stored is not None and not _LEGACY.fullmatch(stored) and _parse(stored) is None


def check(password: str | None) -> bool:
    """True when no password is configured, or password matches the configured line."""
    stored = configured_hash()
    if stored is None:
        return True
    if not password or misconfigured():
        return False
    if legacy():
        log.warning(
            "the import password is stored as an unsalted sha256: run python -m dashboard.auth "
            "and configure the scrypt line it prints in %s",
            ENV_VAR,
        )
    return verify(password, stored)


def _state(state: MutableMapping | None) -> MutableMapping:
    return st.session_state if state is None else state


def wait_seconds(state: MutableMapping | None = None) -> float:
    """Seconds until this session may try a password again (0: now)."""
    return max(0.0, float(_state(state).get(LOCKED_UNTIL_KEY, 0.0)) - clock())


def unlock(password: str | None, state: MutableMapping | None = None) -> bool:
    """Check password and, when right, let this session import and remove.

    Refused unchecked while the session waits after a wrong one; each wrong one in a row doubles
    the wait (FIRST_DELAY_S, 2×, 4× … up to MAX_DELAY_S).
    """
    state = _state(state)
    if wait_seconds(state) > 0:
        return False
    if not check(password):
        failures = int(state.get(FAILURES_KEY, 0)) + 1
        state[FAILURES_KEY] = failures
        delay = min(FIRST_DELAY_S * 2 ** min(failures - 1, 32), MAX_DELAY_S)
        state[LOCKED_UNTIL_KEY] = clock() + delay
        log.warning("wrong import password (%d in a row in this session)", failures)
        return False
    state[FAILURES_KEY] = 0
    state[LOCKED_UNTIL_KEY] = 0.0
    state[UNLOCKED_KEY] = configured_hash()
    return True


def unlocked(state: MutableMapping | None = None) -> bool:
    """May this session import and remove documents now?"""
    stored = configured_hash()
    if stored is None:
        return True
    return not misconfigured() and _state(state).get(UNLOCKED_KEY) == stored


def is_loopback(address: str) -> bool:
    """Does a server bound to address listen to this machine only? ("" is every interface.)"""
    host = address.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name (it may resolve to anything) or every interface
        return False


def exposure_warning(address: str) -> str | None:
    """A loud warning when the server listens beyond this machine and no password is set."""
    if is_loopback(address) or required():
        return None
    return (
        f"警告：看板监听 {address or '所有网络接口'}，网络上的其他人都能打开它，而且没有设置"
        "导入密码：任何人都可以导入和移除文档。请用 python -m dashboard.auth 设置导入密码"
        "（见 README「Serving a team on an intranet」），或只监听 127.0.0.1。"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.auth",
        description="print the import password's hash for a password typed at the prompt",
    )
    parser.add_argument(
        "--warn-if-open",
        metavar="ADDRESS",
        help="instead: warn on stderr if a server on ADDRESS would let anyone import (run.sh)",
    )
    args = parser.parse_args(argv)
    if args.warn_if_open is not None:
        warning = exposure_warning(args.warn_if_open)
        if warning:
            banner = "!" * 72
            print(f"{banner}\n{warning}\n{banner}", file=sys.stderr)
        return 0
    password = getpass.getpass("导入密码：")
    if not password:
        print("密码不能为空。", file=sys.stderr)
        return 1
    if getpass.getpass("再次输入：") != password:
        print("两次输入不一致，未生成。", file=sys.stderr)
        return 1
    stored = hash_password(password)
    # single quotes: the shell would expand $16384 and the rest
    print(f"{ENV_VAR}='{stored}'")
    print("# 或写入 .streamlit/secrets.toml：")
    print(f'{SECRET_KEY} = "{stored}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
