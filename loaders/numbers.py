"""Number normalisation: OCR spacing, separators, full-width digits, empty marks, overflow cells."""

from __future__ import annotations

import re

# Full-width ASCII (digits, punctuation, letters) to half-width, plus the ideographic space.
_FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
_FULLWIDTH.update({ord("﹪"): ord("%"), ord("。"): ord(".")})

# Cells that mean "nothing printed here".
EMPTY_MARKS = frozenset(
    {"", "-", "—", "－", "–", "——", "/", "／", "\\", "无", "——/", "/ ", "N/A", "n/a"}
)

OVERFLOW = re.compile(r"^#{3,}$")
# OCR splits numbers around separators: "2, 306. 00", "191. 60", "1 ,234.5".
_OCR_GAP = re.compile(r"(?<=[\d,.])\s+(?=[\d,.])")
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?$")
# Most amount cells are plain ASCII numbers; they skip the normalisation below.
_PLAIN = re.compile(r"[+-]?\d+(?:\.\d+)?")
_FIRST_NUMBER = re.compile(r"[+-]?\d[\d,]*(?:\.\d+)?|[+-]?\.\d+")

WAN = 10000.0  # yuan per 万元


# Characters to_halfwidth changes; each becomes an ASCII character, which changes no further.
_FULLWIDTH_CHARS = re.compile("[" + "".join(re.escape(chr(c)) for c in _FULLWIDTH) + "]")


def to_halfwidth(text: str) -> str:
    """Full-width digits and punctuation to ASCII."""
    if text.isascii():  # nothing to change (most cells)
        return text
    # A text holds a few distinct full-width characters, if any: a replace each is far cheaper
    # than translate's look-up of every character.
    for ch in set(_FULLWIDTH_CHARS.findall(text)):
        text = text.replace(ch, chr(_FULLWIDTH[ord(ch)]))
    return text


def is_overflow(text: str | None) -> bool:
    """A spreadsheet cell too narrow for its number, printed as #####."""
    return bool(text) and "#" in text and bool(OVERFLOW.match(text.strip()))


def is_empty(text: str | None) -> bool:
    return text is None or to_halfwidth(text).strip() in EMPTY_MARKS


def clean_number_text(text: str) -> str:
    """Collapse OCR gaps and separators: '2, 306. 00' -> '2306.00'."""
    s = to_halfwidth(text).strip()
    s = _OCR_GAP.sub("", s)
    return s.replace(",", "").replace(" ", "")


def parse_amount(text: str | None) -> float | None:
    """A printed amount as a float, or None for empty marks, overflow cells and non-numbers.

    Only a cell that is a number as a whole is read; '约40万元' is not an amount cell.
    """
    if text is None:
        return None
    if type(text) is str and _PLAIN.fullmatch(text):
        return float(text)
    s = to_halfwidth(str(text)).strip()
    if s in EMPTY_MARKS or is_overflow(s):
        return None
    s = _OCR_GAP.sub("", s).replace(" ", "")
    for suffix in ("万元", "元"):
        if s.endswith(suffix):
            s = s[: -len(suffix)]
    if not _NUMBER.match(s) or not any(c.isdigit() for c in s):
        return None
    return float(s.replace(",", ""))


def looks_numeric(text: str | None) -> bool:
    return parse_amount(text) is not None


def parse_rate(text: str | None, computed: float | None = None) -> float | None:
    """A printed rate as a percentage: '92.25%' -> 92.25, '100.00' -> 100.0, '0.83' -> 83.0.

    Without a percent sign the scale is ambiguous ('1.00' is 100 % in some tables, 1 % in none we
    have seen). When the computed rate is known, the reading closer to it wins; otherwise values up
    to 1.0 are read as fractions. The printed digits are never changed, only their scale.
    """
    if text is None:
        return None
    s = to_halfwidth(str(text)).strip()
    if s in EMPTY_MARKS or is_overflow(s):
        return None
    pct = s.endswith("%")
    value = parse_amount(s.rstrip("%").strip())
    if value is None:
        return None
    if pct:
        return value
    if computed is not None:
        return min((value, value * 100), key=lambda v: abs(v - computed))
    return value * 100 if value <= 1.0 else value


def first_number(text: str | None) -> float | None:
    """The first number inside free text: '全人群建档率98.01%' -> 98.01."""
    if not text:
        return None
    s = _OCR_GAP.sub("", to_halfwidth(text))
    m = _FIRST_NUMBER.search(s)
    if not m:
        return None
    try:
        return float(m.group(0).replace(",", ""))
    except ValueError:
        return None


def to_wan(value: float | None, unit: str) -> float | None:
    """Convert an amount printed in `unit` (元 or 万元) to 万元."""
    if value is None:
        return None
    if unit == "元":
        return value / WAN
    if unit in ("万元", "", None):
        return value
    raise ValueError(f"unknown amount unit {unit!r}")


def rate_pct(actual: float | None, budget: float | None) -> float | None:
    """actual / budget x 100, or None where it is undefined."""
    if actual is None or budget is None or budget == 0:
        return None
    return actual / budget * 100.0
