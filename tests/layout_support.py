"""What the layout browser tests and scripts/screenshots.py measure on a rendered page.

Sizes, the page list from app.py, waiting for a page to settle, and the boxes that matter:
horizontal overflow of the page, chart titles against legends, and which columns of a table
the browser shows without scrolling sideways (the data grid renders only the columns in view
into its accessible table, so a header missing there is off-screen).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"desk": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
PAGE_LOAD_MS = 120_000
MAX_SCREENSHOT_HEIGHT = 9000


def app_pages() -> dict[str, str]:
    """Url path -> title of every page registered with st.Page in app.py, in menu order."""
    pages = {}
    for call in re.findall(r"st\.Page\((.*?)\)", (ROOT / "app.py").read_text("utf-8"), re.S):
        script = re.match(r'\s*"([^"]+)"', call).group(1)
        title = re.search(r'title="([^"]+)"', call).group(1)
        pages["" if "default=True" in call else Path(script).stem] = title
    return pages


def open_page(page: Page, url: str, path: str, title: str) -> None:
    """Open a page and wait until its script has finished and its charts are drawn."""
    page.goto(f"{url}/{path}")
    page.wait_for_timeout(1500)  # the script starts: the status widget shows while it runs
    expect(page.get_by_role("heading", name=f"绩效看板 · {title}")).to_be_visible(
        timeout=PAGE_LOAD_MS
    )
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=PAGE_LOAD_MS)
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=PAGE_LOAD_MS)
    charts = page.locator(".stPlotlyChart")
    for i in range(charts.count()):
        expect(charts.nth(i).locator(".main-svg").first).to_be_attached(timeout=PAGE_LOAD_MS)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    # the grids draw their headers, and plotly its legends, a moment after the script ends
    page.wait_for_function(SETTLED_JS, timeout=PAGE_LOAD_MS)
    # and until what is drawn stops changing (a table arrives after the charts on a cold start)
    before = None
    for _ in range(STABLE_POLLS):
        page.wait_for_timeout(700)
        now = page.evaluate(COUNT_JS)
        if now == before:
            break
        before = now


STABLE_POLLS = 20
COUNT_JS = """
() => [document.querySelectorAll('[data-testid=stDataFrame]').length,
       document.querySelectorAll('[data-testid=stDataFrame] th').length,
       document.querySelectorAll('.stPlotlyChart .gtitle, .stPlotlyChart .legend').length]
"""


SETTLED_JS = """
() => [...document.querySelectorAll('[data-testid=stDataFrame]')]
        .filter(d => d.offsetParent !== null && !d.closest('details:not([open])'))
        .every(d => d.querySelectorAll('th').length > 0)
  && [...document.querySelectorAll('.stPlotlyChart')]
        .every(c => c.querySelector('.gtitle, .main-svg'))
"""


MEASURE_JS = """
() => {
  const box = e => { const r = e.getBoundingClientRect();
    return {x: r.left, y: r.top, r: r.right, b: r.bottom, w: r.width, h: r.height}; };
  const main = document.querySelector('[data-testid=stMain]') || document.body;
  const charts = [...document.querySelectorAll('.stPlotlyChart')].map(c => {
    const key = [...c.closest('[class*=st-key-]')?.classList || []]
      .find(k => k.startsWith('st-key-')) || '';
    const title = c.querySelector('.gtitle');
    const legend = c.querySelector('.legend');
    return {key: key.slice(7), chart: box(c), title: title && box(title),
            title_text: title ? title.textContent : '', legend: legend && box(legend)};
  });
  const tables = [...document.querySelectorAll('[data-testid=stDataFrame]')].map(d => {
    const key = [...d.closest('[class*=st-key-]')?.classList || []]
      .find(k => k.startsWith('st-key-')) || '';
    const scroller = d.querySelector('.dvn-scroller');
    return {key: key.slice(7), box: box(d),
            headers: [...d.querySelectorAll('th')].map(t => t.textContent.trim()),
            rows: d.querySelectorAll('tbody tr').length,
            sideways: scroller ? scroller.scrollWidth - scroller.clientWidth : 0};
  });
  return {
    page_width: document.documentElement.clientWidth,
    overflow: Math.max(document.documentElement.scrollWidth, main.scrollWidth)
      - document.documentElement.clientWidth,
    charts, tables,
  };
}
"""


def disjoint(a: dict, b: dict) -> bool:
    return a["r"] <= b["x"] or b["r"] <= a["x"] or a["b"] <= b["y"] or b["b"] <= a["y"]


@dataclass
class Layout:
    page_width: int
    overflow: int
    charts: list = field(default_factory=list)
    tables: list = field(default_factory=list)

    def overlaps(self) -> list[str]:
        """Charts whose legend box meets their title box."""
        return [
            c["title_text"] or c["key"]
            for c in self.charts
            if c["title"] and c["legend"] and not disjoint(c["title"], c["legend"])
        ]

    def table(self, key: str) -> dict | None:
        return next((t for t in self.tables if t["key"] == f"{key}_box"), None)

    def summary(self) -> str:
        shown = "; ".join(
            f"{t['key'].removesuffix('_table')}: {len(t['headers'])} cols in view"
            + (f", +{t['sideways']}px sideways" if t["sideways"] > 0 else "")
            for t in self.tables
        )
        return (
            f"overflow {self.overflow}px, {len(self.charts)} charts, "
            f"legend/title overlaps {self.overlaps() or 'none'}; {shown}"
        )


def measure(page: Page) -> Layout:
    return Layout(**page.evaluate(MEASURE_JS))


def stretch(page: Page, viewport: dict) -> None:
    """The viewport stretched to the height of Streamlit's scrolling area (whole-page shots)."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], section')]"
        ".map(e => e.scrollHeight), 0)"
    )
    page.set_viewport_size(
        {
            "width": viewport["width"],
            "height": max(viewport["height"], min(height, MAX_SCREENSHOT_HEIGHT)),
        }
    )
    page.wait_for_timeout(700)  # charts re-layout to the new size
