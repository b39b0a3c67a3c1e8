"""Screenshots of every page at desk (1440×900) and phone (390×844) size, for looking at.

    python scripts/screenshots.py --url http://127.0.0.1:8501 --out /tmp/shots
    python scripts/screenshots.py --out /tmp/shots          # serves the app itself on the seeds

Without --url it builds data/raw into a temporary folder and serves app.py on a free port. Each
page is saved whole (the viewport stretched to the page's height) as <page>_<width>.png, and
what the layout checks of tests/test_e2e_layout.py measure is printed beside it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser_support import launch, streamlit_app  # noqa: E402
from layout_support import SIZES, app_pages, measure, open_page, stretch  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402


def shoot(url: str, out: Path, only: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            for size_name, viewport in SIZES.items():
                context = browser.new_context(viewport=viewport, locale="zh-CN")
                page = context.new_page()
                for path, title in app_pages().items():
                    if only and (path or "overview") not in only:
                        continue
                    open_page(page, url, path, title)
                    report = measure(page)
                    stretch(page, viewport)
                    name = f"{path or 'overview'}_{viewport['width']}.png"
                    page.screenshot(path=str(out / name))
                    page.set_viewport_size(viewport)
                    print(f"{size_name:5} {title:8} {name:32} {report.summary()}")
                context.close()
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running app; else the seeds are built and served")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "artifacts" / "screens")
    parser.add_argument("--page", action="append", default=[], help="url path(s) only")
    args = parser.parse_args()
    if args.url:
        shoot(args.url, args.out, args.page)
        return
    from loaders.build import build

    with tempfile.TemporaryDirectory() as tmp:
        build(ROOT / "data" / "raw", Path(tmp) / "parquet")
        env = {"DASHBOARD_PARQUET_DIR": str(Path(tmp) / "parquet")}
        with streamlit_app(env, Path(tmp) / "streamlit.log") as url:
            shoot(url, args.out, args.page)


if __name__ == "__main__":
    main()
