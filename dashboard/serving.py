"""How this server is set up, checked once per server process at the first page run.

Logged loudly for the operator: a server listening beyond this machine with no import password
(anyone on the network can import and remove documents), and an upload limit above the import
limit (Streamlit holds uploads that large in memory before the page can refuse them).
"""

from __future__ import annotations

import logging

import streamlit as st

from loaders import intake

from . import auth

log = logging.getLogger(__name__)


def address() -> str:
    """The address the server listens on ("" is every interface)."""
    return str(st.get_option("server.address") or "")


def warnings() -> list[str]:
    found = []
    exposed = auth.exposure_warning(address())
    if exposed:
        found.append(exposed)
    upload_mb, limit_mb = st.get_option("server.maxUploadSize"), intake.upload_limit_mb()
    if upload_mb > limit_mb:
        found.append(
            f"server.maxUploadSize = {upload_mb} MB exceeds the import limit of {limit_mb} MB: "
            "uploads that large are held in memory before the page refuses them; start the app "
            "with ./run.sh or pass --server.maxUploadSize."
        )
    return found


@st.cache_resource(show_spinner=False)
def check_once() -> tuple[str, ...]:
    """warnings(), logged on the first run in this process (a cached no-op afterwards)."""
    found = tuple(warnings())
    for text in found:
        log.warning("%s", text)
    return found
