"""Decoding raw bytes into a Doc: text, numbered lines and their cells."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property

# Share of characters that may be control characters before a text is called binary.
MAX_CONTROL_SHARE = 0.01
# Share of non-ASCII characters that must be common CJK or CJK punctuation in a decoded text.
MIN_CJK_SHARE = 0.6
_SPLIT_SPACES = re.compile(r"\s{2,}|\t")


class DecodeError(ValueError):
    """The bytes are not text in any encoding we read."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    truncated: bool = False


def _plausible(text: str) -> bool:
    if not text.strip():
        return False
    sample = text[:200_000]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\f\v")
    if controls > MAX_CONTROL_SHARE * len(sample):
        return False
    non_ascii = [c for c in sample if ord(c) > 127]
    if not non_ascii:
        return True
    cjk = sum(
        1
        for c in non_ascii
        if "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef"
        or c in "“”‘’—…·×≥≤±√"
    )
    return cjk >= MIN_CJK_SHARE * len(non_ascii)


def decode(raw: bytes) -> Decoded:
    """Decode UTF-8 (with or without BOM), UTF-16 (with BOM or by NUL pattern) or GB18030.

    Raises DecodeError for empty, binary or undecodable input. A UTF-8 file cut inside its last
    character decodes with `truncated=True` rather than failing.
    """
    if not raw or not raw.strip():
        raise DecodeError("文件为空")
    if raw.startswith(b"\xef\xbb\xbf"):
        candidates = [("utf-8-sig", raw)]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = [("utf-16", raw)]
    else:
        head = raw[:4096]
        even_nuls = head[1::2].count(0)
        odd_nuls = head[0::2].count(0)
        candidates = []
        if even_nuls > len(head) // 8 and odd_nuls < len(head) // 64:
            candidates.append(("utf-16-le", raw))
        elif odd_nuls > len(head) // 8 and even_nuls < len(head) // 64:
            candidates.append(("utf-16-be", raw))
        candidates += [("utf-8", raw), ("gb18030", raw)]
    for encoding, data in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            # A file cut in the middle of its last UTF-8 character: keep everything before it.
            if encoding == "utf-8" and exc.start >= len(data) - 3 and exc.reason.startswith("unexpected end"):
                text = data[: exc.start].decode("utf-8")
                if _plausible(text):
                    return Decoded(text, encoding, truncated=True)
            continue
        if _plausible(text):
            return Decoded(text, encoding)
    if b"\x00" in raw[:4096]:
        raise DecodeError("文件是二进制数据，不是文本")
    raise DecodeError("无法识别文件编码（已尝试 UTF-8、UTF-16、GB18030）")


@dataclass(frozen=True)
class Doc:
    """A decoded document. Line numbers are 1-based, as `sed -n Np` shows them."""

    source_file: str
    text: str
    sha256: str = ""
    encoding: str = "utf-8"
    truncated: bool = False
    size_bytes: int = 0
    meta: dict = field(default_factory=dict)

    @classmethod
    def from_bytes(cls, source_file: str, raw: bytes) -> Doc:
        decoded = decode(raw)
        return cls(
            source_file=source_file,
            text=decoded.text,
            sha256=hashlib.sha256(raw).hexdigest(),
            encoding=decoded.encoding,
            truncated=decoded.truncated,
            size_bytes=len(raw),
        )

    @classmethod
    def from_text(cls, text: str, source_file: str = "<text>") -> Doc:
        raw = text.encode("utf-8")
        return cls(source_file, text, hashlib.sha256(raw).hexdigest(), "utf-8", False, len(raw))

    @cached_property
    def lines(self) -> list[str]:
        """Lines without their line break; index i holds line i + 1."""
        return self.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    def line(self, number: int) -> str:
        return self.lines[number - 1]

    def cells(self, number: int) -> list[str]:
        """The tab-separated cells of a line, stripped (empty cells kept)."""
        return [c.strip() for c in self.lines[number - 1].split("\t")]

    def filled(self, number: int) -> list[str]:
        """The non-empty cells of a line: tabs first, runs of two or more spaces as well."""
        return [c.strip() for c in _SPLIT_SPACES.split(self.lines[number - 1]) if c.strip()]

    @cached_property
    def head(self) -> str:
        """The first 60,000 characters, for detection and metadata."""
        return self.text[:60_000]
