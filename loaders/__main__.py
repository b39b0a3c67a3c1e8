"""Command line: python -m loaders build --raw data/raw --out data/parquet."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .build import build, is_current
from .manifest import ManifestError

log = logging.getLogger("loaders")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loaders", description="绩效看板 loaders")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="parse data/raw into the four parquet tables")
    b.add_argument("--raw", default="data/raw", type=Path)
    b.add_argument("--out", default="data/parquet", type=Path)
    b.add_argument("--if-changed", action="store_true", help="skip when data/raw is unchanged since the last build")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    if args.command == "build":
        if not args.raw.is_dir():
            log.error("raw folder %s does not exist", args.raw)
            return 1
        if args.if_changed and is_current(args.raw, args.out):
            log.info("parquet is up to date with %s", args.raw)
            return 0
        try:
            counts = build(args.raw, args.out)
        except ManifestError as exc:
            log.error("sources.toml is invalid: %s", exc)
            return 1
        except OSError as exc:
            log.error("could not write %s: %s", args.out, exc)
            return 1
        log.info(
            "built %(documents)d documents, %(projects)d budget lines, %(indicators)d indicators, "
            "%(findings)d findings in %(seconds).2f s",
            counts,
        )
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
