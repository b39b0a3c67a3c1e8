"""Command line: python -m loaders build --raw data/raw --out data/parquet."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .build import build, is_current, raw_files
from .manifest import ManifestError

log = logging.getLogger("loaders")

# Exit codes: every document was read (some perhaps with UNREADABLE findings) / nothing written.
EXIT_OK = 0
EXIT_NOTHING_WRITTEN = 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loaders", description="绩效看板 loaders")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="parse data/raw into the four parquet tables")
    b.add_argument("--raw", default="data/raw", type=Path)
    b.add_argument("--out", default="data/parquet", type=Path)
    b.add_argument(
        "--if-changed",
        action="store_true",
        help="skip when data/raw and the loaders are unchanged since the last build",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return run_build(args.raw, args.out, args.if_changed)


def run_build(raw: Path, out: Path, if_changed: bool = False) -> int:
    """The build at the CLI edge: problems become log lines and an exit code, never a traceback."""
    if not raw.is_dir():
        log.error("raw folder %s does not exist or is not a folder", raw)
        return EXIT_NOTHING_WRITTEN
    if not raw_files(raw):
        log.error("raw folder %s holds no documents; %s left as it was", raw, out)
        return EXIT_NOTHING_WRITTEN
    if if_changed and is_current(raw, out):
        log.info("parquet in %s is up to date with %s", out, raw)
        return EXIT_OK
    try:
        counts = build(raw, out)
    except ManifestError as exc:
        log.error("sources.toml is invalid, %s left as it was: %s", out, exc)
        return EXIT_NOTHING_WRITTEN
    except OSError as exc:
        log.error("could not write %s, previous tables left as they were: %s", out, exc)
        return EXIT_NOTHING_WRITTEN
    log.info(
        "built %(documents)d documents, %(projects)d budget lines, %(indicators)d indicators, "
        "%(findings)d findings in %(seconds).2f s",
        counts,
    )
    if counts["unreadable"]:
        log.warning(
            "%d document(s) could not be read; see the UNREADABLE rows of findings.parquet",
            counts["unreadable"],
        )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
