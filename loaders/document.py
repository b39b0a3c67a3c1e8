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
# UTF-16 without a BOM: share of the first 4 KiB's high (or low) bytes that are NUL, as ASCII
# digits, tabs and newlines give in UTF-16; UTF-8 and GB18030 text has no NUL at all.
UTF16_MIN_NUL_SHARE = 0.05
UTF16_MAX_OTHER_NUL_SHARE = 0.03
_SPLIT_SPACES = re.compile(r"\s{2,}|\t")


class DecodeError(ValueError):
    """The bytes are not text in any encoding we read."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    truncated: bool = False


_TO_TEXT = "请先提取为 UTF-8 文本（.txt）再放入 data/raw"
# Leading bytes of formats that are not text, with what to tell the user. They reach decode only
# under another extension: a .pdf, .xlsx or .docx is converted to text first (readers.py).
BINARY_MAGIC = (
    (b"%PDF", "这是 PDF 文件而不是文本", "请把扩展名改为 .pdf 后重新导入"),
    (b"PK\x03\x04", "这是压缩包或 Office 文件（xlsx/docx）而不是文本", _TO_TEXT),
    (b"\xd0\xcf\x11\xe0", "这是旧版 Office 文件（xls/doc）而不是文本", _TO_TEXT),
)
_CJK_EXTRA = frozenset("“”‘’—…·×≥≤±√")


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")
# Runs of what is not counted: removing them leaves the characters to count (fast in C).
_ASCII_RUNS = re.compile(r"[\x00-\x7f]+")
_NOT_CJK_RUNS = re.compile("[^\u4e00-\u9fff\u3000-\u303f\uff00-\uffef" + "".join(_CJK_EXTRA) + "]+")


def _plausible(text: str, strict: bool = True) -> bool:
    """Text, not binary noise; with strict, its non-ASCII characters must be mostly Chinese."""
    if not text or text.isspace():
        return False
    sample = text[:200_000]
    if len(_CONTROL.findall(sample)) > MAX_CONTROL_SHARE * len(sample):
        return False
    if not strict:
        return True
    non_ascii = len(_ASCII_RUNS.sub("", sample))
    return len(_NOT_CJK_RUNS.sub("", sample)) >= MIN_CJK_SHARE * non_ascii


def _cut_tail(data: bytes, encoding: str, exc: UnicodeDecodeError) -> str | None:
    """The text before a character cut off at the very end of the file, else None."""
    if exc.end < len(data) - 3:
        return None
    if encoding == "utf-8" and exc.reason.startswith("unexpected end"):
        return data[: exc.start].decode("utf-8")
    if encoding.startswith("utf-16") and exc.reason == "truncated data":
        return data[: exc.start].decode(encoding)
    return None


def decode(raw: bytes) -> Decoded:
    """Decode UTF-8 (with or without BOM), UTF-16 (with BOM or by NUL pattern) or GB18030.

    Raises DecodeError, with a message a user can act on, for empty, binary or undecodable
    input. A file cut inside its last character decodes with `truncated=True` rather than
    failing. Strict UTF-8 wins whatever its script; the GB18030 fallback must look Chinese, as
    it maps almost any byte pairs to some character.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise TypeError(f"decode() takes bytes, not {type(raw).__name__}")
    raw = bytes(raw)
    if not raw or raw.isspace():
        raise DecodeError("文件为空：请重新导出该文档的文本后放回 data/raw。")
    for magic, what, advice in BINARY_MAGIC:
        if raw.startswith(magic):
            raise DecodeError(f"{what}：{advice}。")
    if raw.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        head = raw[:4096]
        high, low = head[1::2].count(0), head[0::2].count(0)
        pairs = max(1, len(head) // 2)
        candidates = []
        if high > UTF16_MIN_NUL_SHARE * pairs and low < UTF16_MAX_OTHER_NUL_SHARE * pairs:
            candidates.append("utf-16-le")
        elif low > UTF16_MIN_NUL_SHARE * pairs and high < UTF16_MAX_OTHER_NUL_SHARE * pairs:
            candidates.append("utf-16-be")
        candidates += ["utf-8", "gb18030"]
    for encoding in candidates:
        truncated = False
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            text = _cut_tail(raw, encoding, exc)
            if text is None:
                continue
            truncated = True
        if _plausible(text, strict=encoding == "gb18030"):
            return Decoded(text, encoding, truncated)
    if b"\x00" in raw[:4096]:
        raise DecodeError(
            "文件是二进制数据而不是文本：请先提取为 UTF-8 文本（.txt）再放入 data/raw。"
        )
    raise DecodeError(
        "无法识别文件编码（已尝试 UTF-8、UTF-16、GB18030）：请另存为 UTF-8 文本后重新导入。"
    )


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
    def from_bytes(cls, source_file: str, raw: bytes, sha256: str | None = None) -> Doc:
        """Decode raw; pass sha256 when the caller already hashed the bytes."""
        decoded = decode(raw)
        return cls(
            source_file=source_file,
            text=decoded.text,
            sha256=sha256 or hashlib.sha256(raw).hexdigest(),
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
    def layout_cells(self) -> list:
        """Every cell of the text from the layout stage (loaders/layout.py), read once and shared
        by the kind's parser and the metadata readers."""
        from .layout import cells

        return list(cells(self.lines))

    def head_cells(self, lines: int) -> list:
        """The layout cells of the first `lines` lines: from layout_cells when a kind already
        read them, else from those lines alone (a long document is not laid out for its head)."""
        if "layout_cells" in self.__dict__:
            return [c for c in self.layout_cells if c.line <= lines]
        from .layout import cells

        return list(cells(self.lines[:lines]))

    @cached_property
    def head(self) -> str:
        """The first 60,000 characters, for detection and metadata."""
        return self.text[:60_000]
