"""Cell tints for tables: one Styler builder for every page's coloured states and bands."""

from __future__ import annotations

import pandas as pd

# Alpha appended to a #rrggbb colour: a light tint that keeps the text readable.
TINT_ALPHA = "33"


def tint(table: pd.DataFrame, marks: dict[str, list]):
    """A Styler of table tinting cells: header -> one colour (or None) per row, in row order.

    The styler picks a row's colour by its label (the table's 0..n-1), so it also fits the
    table's first rows alone (ui shows at most its first TABLE_MAX_ROWS rows).
    """
    marks = {header: list(colours) for header, colours in marks.items() if header in table}

    def colour(frame: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame("", index=frame.index, columns=frame.columns)
        for header, colours in marks.items():
            out[header] = [
                f"background-color: {c}{TINT_ALPHA}" if c else ""
                for c in (colours[i] for i in frame.index)
            ]
        return out

    return table.style.apply(colour, axis=None)


def by_key(keys, colours: dict) -> list:
    """One colour (or None) per key: state or band -> colour."""
    return [colours.get(k) for k in keys]
