"""Import password: importing and removing documents need it when configured; reading never does.

The password is configured as its sha256 hex digest, in the environment variable
IMPORT_PASSWORD_SHA256 or as import_password_sha256 in .streamlit/secrets.toml (the variable
wins). `python -m dashboard.auth` prints the digest of a password typed at the prompt.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import os
import re

import streamlit as st

ENV_VAR = "IMPORT_PASSWORD_SHA256"
SECRET_KEY = "import_password_sha256"
# Session flag: the digest the session was unlocked with (a changed password locks it again).
UNLOCKED_KEY = "_import_unlocked_with"
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def hash_password(password: str) -> str:
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def configured_hash() -> str | None:
    """The configured digest (lower case), or None when no password is configured."""
    value = os.environ.get(ENV_VAR, "").strip()
    if not value and st.secrets.load_if_toml_exists():
        value = str(st.secrets.get(SECRET_KEY) or "").strip()
    return value.lower() or None


def required() -> bool:
    return configured_hash() is not None


def misconfigured() -> bool:
    """A digest is configured but is not 64 hex digits: no password can match, imports stay off."""
    digest = configured_hash()
    return digest is not None and not _HEX_DIGEST.fullmatch(digest)


def check(password: str | None) -> bool:
    """True when no password is configured, or password matches the configured digest."""
    digest = configured_hash()
    if digest is None:
        return True
    if not password or misconfigured():
        return False
    return hmac.compare_digest(hash_password(password), digest)


def unlock(password: str | None) -> bool:
    """Check password and, when right, let this session import and remove."""
    if not check(password):
        return False
    st.session_state[UNLOCKED_KEY] = configured_hash()
    return True


def unlocked() -> bool:
    """May this session import and remove documents now?"""
    digest = configured_hash()
    if digest is None:
        return True
    return not misconfigured() and st.session_state.get(UNLOCKED_KEY) == digest


def main() -> None:
    password = getpass.getpass("导入密码：")
    print(f"{ENV_VAR}={hash_password(password)}")


if __name__ == "__main__":
    main()
