"""Numbers under the form's own arithmetic: read a funds row whose cells are glued or short.

A 年度资金总额 row prints, in some order, 年初预算数 / 全年预算数 / 全年执行数 / 分值 / 执行率 / 得分
(and on some forms the sources 中央 / 省级 / 本级 / 其他 with their 合计). When a document site
glued the cells (``2456.182456.182456.1810100%10``) or a flattened sheet lost a cell, several
readings are possible. The one to keep satisfies the form's arithmetic: 执行数 ÷ 预算数 = 执行率,
得分 = 分值 × 执行率 (at most 分值), the sources add up to the total. A reading that needed a split
or a skipped column is reported as inferred; when readings that satisfy the arithmetic disagree,
or none does, nothing is taken (the caller records a finding).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from .numbers import parse_amount, to_halfwidth
from .rows import FUNDS_LABELS

# The funds columns in the order the national form prints them; sources come first on the forms
# that print them (中央 / 省级 / 本级 / 其他), then their 合计 = the budget.
STANDARD_ROLES = ("initial", "budget", "actual", "weight", "rate", "score")
AMOUNT_ROLES = ("initial", "budget", "actual")
# Printed and computed rates within this many points agree (rates are printed rounded).
RATE_SLACK_PCT = 1.0
# A score within this of 分值 × 执行率 follows the form's rule.
SCORE_SLACK = 0.51
# Glued figure runs are split in at most this many ways before giving up.
MAX_SPLITS = 5000
# A glued money figure has at most this many decimals (万元 to four places, 元 to two).
MAX_DECIMALS = 4
# A rate is printed with at most this many decimals ('0.00100%' is a mis-cut of '…0.00' + '100%').
MAX_RATE_DECIMALS = 2
# Among amounts printed with decimals, a figure without them is a 分值, 得分 or rate.
MAX_WHOLE_SCORE_DIGITS = 3
_FIGURES = re.compile(r"^[0-9.,%]+$")
# OCR reads 00 as (X) in a scanned figure run ('1(X)%' for 100%): read as 00 and say so.
_OCR_ZEROS = re.compile(r"\([Xx]\)")


@dataclass
class Reading:
    """The values a funds row was read as, by role, and how sure the reading is."""

    values: dict[str, float] = field(default_factory=dict)
    printed: dict[str, str] = field(default_factory=dict)
    inferred: bool = False  # a split, a skipped column or a value from the arithmetic
    derived: tuple[str, ...] = ()  # roles computed from the others (budget from actual ÷ rate)
    ambiguous: bool = False  # no reading, or readings that disagree: nothing taken
    fits: bool = False  # the arithmetic was checked and holds
    consumed: int = 0  # how many of the given texts the reading used

    def why(self) -> str:
        """In words, for a finding: what was inferred from what."""
        parts = []
        if self.derived:
            names = "、".join(ROLE_NAMES.get(r, r) for r in self.derived)
            parts.append(f"{names}按 执行数 = 预算数 × 执行率 推算")
        if self.inferred and not self.derived:
            parts.append(
                "单元格粘连或缺列，已按 执行数 ÷ 预算数 = 执行率、得分 = 分值 × 执行率 选出唯一读法"
            )
        return "；".join(parts)


# The funds columns' printed names (rows.FUNDS_LABELS, declared once) and the source columns'.
ROLE_NAMES = {**FUNDS_LABELS, "source": "资金来源"}


def is_figures(text: str) -> bool:
    """A cell of figures only that is not one number: glued cells."""
    t = _OCR_ZEROS.sub("00", to_halfwidth(text).replace(" ", ""))
    return bool(_FIGURES.match(t)) and parse_amount(t.rstrip("%")) is None


def _pieces(text: str) -> list[list[str]]:
    """Every way to cut a glued run of figures into numbers ('10001000100%20' -> …,
    ['1000', '1000', '100%', '20'], …). A percent sign ends its piece, and every piece with a
    decimal point has the same number of decimals (a table prints its amounts alike)."""
    t = _OCR_ZEROS.sub("00", to_halfwidth(text).replace(" ", "").replace(",", ""))
    out: list[list[str]] = []

    def ok(piece: str, places: int) -> bool:
        core = piece[:-1] if piece.endswith("%") else piece
        if not core or core.count(".") > 1 or core.startswith(".") or core.endswith("."):
            return False
        whole, dot, frac = core.partition(".")
        if len(whole) > 1 and whole.startswith("0"):
            return False
        if places and not dot and len(whole) > MAX_WHOLE_SCORE_DIGITS and not piece.endswith("%"):
            return False  # amounts of a run with decimals print their decimals
        if piece.endswith("%"):
            return len(frac) <= MAX_RATE_DECIMALS
        return not dot or len(frac) == places

    def walk(start: int, acc: list[str], places: int) -> None:
        if len(out) >= cap:
            return
        if start == len(t):
            out.append(list(acc))
            return
        for end in range(len(t), start, -1):  # longest first: the likely reading comes early
            piece = t[start:end]
            if "%" in piece[:-1]:
                continue
            if ok(piece, places):
                acc.append(piece)
                walk(end, acc, places)
                acc.pop()

    cap = 0
    for places in (2, 1, 4, 3) if "." in t else (0,):  # money is mostly printed to 2 places
        cap += MAX_SPLITS // 4
        walk(0, [], places)
    unique = {tuple(p) for p in out}
    return [list(p) for p in sorted(unique)]


def _value(text: str) -> tuple[float | None, bool]:
    t = to_halfwidth(text).strip()
    pct = t.endswith("%")
    return parse_amount(t.rstrip("%").strip()), pct


def read_funds(roles: list[str] | None, texts: list[str], *, sources: int = 0) -> Reading:
    """Read a funds row: `roles` as the header printed them (None or partial when it was not
    read), `texts` the cells after the row's label in order (figure runs may be glued).
    `sources` columns of 资金来源 come before the budget on forms that print them.

    The reading with the best fit to the arithmetic wins; ties that disagree are ambiguous.
    """
    header = list(roles or [])
    order = ["source"] * sources + _order(header)
    # Each text: one number, or every way to cut a glued run.
    options: list[list[list[str]]] = []
    for text in texts:
        if is_figures(text):
            cuts = _pieces(text)
            options.append(cuts or [[text]])
        else:
            options.append([[text]])
    candidates: list[tuple[float, Reading]] = []
    for use in range(len(texts), 0, -1):  # how many texts the row has: the rest are not its
        combos = itertools.product(*options[:use])
        for n, combo in enumerate(combos):
            if n >= MAX_SPLITS:
                break
            flat = [p for part in combo for p in part]
            glued = any(len(part) > 1 for part in combo)
            for reading, cost in _assign(order, header, flat):
                reading.consumed = use
                reading.inferred = reading.inferred or glued
                candidates.append((cost + (len(texts) - use) * 0.5, reading))
    if not candidates:  # no reading at all: nothing taken
        return Reading(ambiguous=True, inferred=True)
    candidates.sort(key=lambda c: c[0])
    best_cost, best = candidates[0]
    rivals = [r for c, r in candidates[1:] if c - best_cost < 0.25]
    key = _key(best)
    if any(_key(r) != key for r in rivals):
        return Reading(ambiguous=True, inferred=True)
    if best.inferred and not best.fits:
        return Reading(ambiguous=True, inferred=True)
    return best


def _order(header: list[str]) -> list[str]:
    """The roles a row may hold, in order: the header's, with the standard ones it lacks where
    the standard order puts them (a flattened sheet may print a column its header lost)."""
    if not header:
        return list(STANDARD_ROLES)
    out = list(header)
    for role in STANDARD_ROLES:
        if role in out:
            continue
        k = STANDARD_ROLES.index(role)
        after = [i for i, r in enumerate(out) if r in STANDARD_ROLES[:k]]
        out.insert(after[-1] + 1 if after else 0, role)
    return out


def _key(r: Reading) -> tuple:
    return tuple(round(r.values[k], 4) if k in r.values else None for k in STANDARD_ROLES[1:3]) + (
        round(r.values["rate"], 1) if "rate" in r.values else None,
    )


def _assign(order: list[str], header: list[str], flat: list[str]):
    """Every order-keeping assignment of the figures to roles, with its cost."""
    n = len(flat)
    if n > len(order) or n == 0:
        return
    parsed = [_value(t) for t in flat]
    if any(v is None for v, _ in parsed):
        return
    for chosen in itertools.combinations(range(len(order)), n):
        roles = [order[i] for i in chosen]
        if any(pct and role != "rate" for (_, pct), role in zip(parsed, roles, strict=True)):
            continue
        values: dict[str, float] = {}
        sources: list[float] = []
        for (v, _), role in zip(parsed, roles, strict=True):
            if role == "source":
                sources.append(v)
            else:
                values[role] = v
        cost, fits, derived = _fit(values, sources)
        if cost is None:
            continue
        skipped_header = [r for r in header if r not in roles and r in STANDARD_ROLES]
        extra = [r for r in roles if r not in header] if header else []
        cost += 0.4 * len(skipped_header) + 0.3 * len(extra)
        if sources and "budget" not in values:
            values["budget"] = round(sum(sources), 6)
        reading = Reading(
            values=values,
            printed={r: t for r, t in zip(roles, flat, strict=True) if r != "source"},
            inferred=bool(skipped_header or extra or derived),
            derived=tuple(derived),
            fits=fits,
        )
        yield reading, cost


def _fit(values: dict[str, float], sources: list[float]) -> tuple[float | None, bool, list[str]]:
    """(cost, whether the arithmetic was checked and holds, roles derived); cost None: impossible."""
    cost = 0.0
    fits = False
    derived: list[str] = []
    budget, actual, rate = values.get("budget"), values.get("actual"), values.get("rate")
    weight, score = values.get("weight"), values.get("score")
    if rate is not None and rate > 1000:
        return None, False, []
    if weight is not None and (weight > 100 or weight <= 0):
        return None, False, []
    if score is not None and weight is not None and score > weight + 1e-9:
        return None, False, []
    if budget is not None and actual is not None and rate is not None:
        if budget == 0:
            if rate != 0 and actual != 0:
                return None, False, []
        elif abs(actual / budget * 100 - rate) <= RATE_SLACK_PCT:
            fits = True
            cost -= 2
        else:
            return None, False, []
    elif rate is not None and rate > 0 and (budget is None) != (actual is None):
        # One amount and the rate: the other follows from them.
        if budget is None and actual is not None:
            values["budget"] = round(actual / rate * 100, 6)
            derived.append("budget")
        elif budget is not None:
            values["actual"] = round(budget * rate / 100, 6)
            derived.append("actual")
        cost += 0.5
    elif budget is not None and actual is not None and budget > 0:
        cost += 0.2  # nothing to check the amounts against
    # A cut that leaves a bare 0 or a rate under 1 % is a likely misreading of glued figures.
    cost += 0.6 * sum(1 for v in (budget, actual, rate) if v == 0)
    if weight is not None and rate is not None and score is not None:
        if abs(weight * min(rate, 100) / 100 - score) <= SCORE_SLACK:
            fits = True
            cost -= 1
    if sources:
        if budget is not None and abs(sum(sources) - budget) <= 0.011:
            fits = True
            cost -= 1
        elif budget is not None:
            cost += 1
    return cost, fits, derived
