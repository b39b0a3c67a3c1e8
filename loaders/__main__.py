"""Command line: python -m loaders build | add FILE | remove DOC_ID | list | correct … | corrections list."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import intake
from .build import UnsafeOutput, build, check_output_folder, has_documents, is_current
from .intake import AlreadyImported, ImportRefused, NeedsConfirmation
from .manifest import ManifestError
from .readers import SUFFIXES

log = logging.getLogger("loaders")

# Exit codes: every document was read (some perhaps with UNREADABLE findings) / nothing written.
EXIT_OK = 0
EXIT_NOTHING_WRITTEN = 1
# add: a document of the same unit, year and kind exists; run again with --replace.
EXIT_NEEDS_CONFIRMATION = 2


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
    add_import_commands(sub)
    add_correction_commands(sub)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.command != "build":
        return args.run(args)
    return run_build(args.raw, args.out, args.if_changed)


def run_build(raw: Path, out: Path, if_changed: bool = False) -> int:
    """The build at the CLI edge: problems become log lines and an exit code, never a traceback."""
    if not raw.is_dir():
        log.error("raw folder %s does not exist or is not a folder", raw)
        return EXIT_NOTHING_WRITTEN
    try:
        check_output_folder(raw, out)  # before the lock file and anything else is written
    except UnsafeOutput as exc:
        log.error("%s", exc)
        return EXIT_NOTHING_WRITTEN
    if not has_documents(raw):
        log.error("raw folder %s holds no documents; %s left as it was", raw, out)
        return EXIT_NOTHING_WRITTEN
    if if_changed and is_current(raw, out) and not intake.journal_path(raw).exists():
        log.info("parquet in %s is up to date with %s", out, raw)
        return EXIT_OK
    try:
        # The import lock: a build started by run.sh must not interleave with an import, and
        # settles first what an import killed half-way left in raw.
        with intake.locked(raw):
            intake.reconcile(raw)
            if if_changed and is_current(raw, out):
                log.info("parquet in %s is up to date with %s", out, raw)
                return EXIT_OK
            counts = build(raw, out)
    except ImportRefused as exc:
        log.error("%s (%s left as it was)", exc, out)
        return EXIT_NOTHING_WRITTEN
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


def add_import_commands(sub) -> None:
    """add / remove / list: the import page's operations (loaders/intake.py) on the command line."""

    def folders(p) -> None:
        p.add_argument(
            "--raw", type=Path, default=None, help="default: $DASHBOARD_RAW_DIR or data/raw"
        )
        p.add_argument(
            "--out", type=Path, default=None, help="default: $DASHBOARD_PARQUET_DIR or data/parquet"
        )

    a = sub.add_parser("add", help=f"import a document ({' '.join(SUFFIXES)}) and rebuild")
    a.add_argument("file", type=Path)
    a.add_argument("--unit", help="reporting unit, when the document does not print it")
    a.add_argument("--year", help="budget year, when the document does not print it")
    a.add_argument("--region", help="dashboard region (深圳, 上海, 湖南 …)")
    a.add_argument(
        "--replace",
        action="store_true",
        help="confirm that a document of the same unit, year and kind moves to data/trash",
    )
    folders(a)
    a.set_defaults(run=run_add)
    r = sub.add_parser("remove", help="move a document to data/trash and rebuild")
    r.add_argument("doc_id", help="doc_id as shown by list (or the file name in data/raw)")
    folders(r)
    r.set_defaults(run=run_remove)
    li = sub.add_parser("list", help="the documents in data/raw with unit, region and year")
    folders(li)
    li.set_defaults(run=run_list)


def run_add(args) -> int:
    try:
        size = args.file.stat().st_size
        intake.check_size(size)
        data = args.file.read_bytes()
    except ImportRefused as exc:
        log.error("%s", exc)
        return EXIT_NOTHING_WRITTEN
    except OSError as exc:  # the input file; folders the import writes are blamed by intake
        log.error("无法读取 %s：%s", args.file, exc.strerror or exc)
        return EXIT_NOTHING_WRITTEN
    try:
        fields = intake.clean_fields(args.unit, args.region, args.year)
        change = intake.add(args.file.name, data, args.raw, args.out, fields, args.replace)
    except AlreadyImported as exc:
        log.info("%s", exc)
        return EXIT_OK
    except NeedsConfirmation as exc:
        log.error("%s 如确认替换，请加 --replace 重新运行。", exc)
        return EXIT_NEEDS_CONFIRMATION
    except ImportRefused as exc:
        log.error("%s", exc)
        return EXIT_NOTHING_WRITTEN
    except OSError as exc:
        log.error("导入失败，data/raw 保持原样：%s", exc)
        return EXIT_NOTHING_WRITTEN
    log.info("已导入 %s（doc_id %s）", change.stored, change.doc_id)
    for name in change.trashed:
        log.info("旧版本 %s 已移入 data/trash/", name)
    return EXIT_OK


def run_remove(args) -> int:
    try:
        change = intake.remove(args.doc_id, args.raw, args.out)
    except ImportRefused as exc:
        log.error("%s", exc)
        return EXIT_NOTHING_WRITTEN
    except OSError as exc:
        log.error("移除失败，data/raw 保持原样：%s", exc)
        return EXIT_NOTHING_WRITTEN
    log.info("已将 %s 移入 data/trash/，数据表已重建。", change.trashed[0])
    return EXIT_OK


def run_list(args) -> int:
    raw = args.raw or intake.raw_dir()
    if not raw.is_dir():
        log.error("raw folder %s does not exist or is not a folder", raw)
        return EXIT_NOTHING_WRITTEN
    try:
        intake.recover_interrupted(raw)  # list what is loaded, not what a killed import left
        rows = intake.catalogue(raw, args.out or intake.parquet_dir())
    except ImportRefused as exc:
        log.error("%s", exc)
        return EXIT_NOTHING_WRITTEN
    columns = ("doc_id", "doc_kind", "unit", "region", "year", "source_file")
    lines = ["\t".join(columns)]
    for row in rows:
        lines.append("\t".join("" if row.get(c) is None else str(row.get(c)) for c in columns))
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


def add_correction_commands(sub) -> None:
    """correct set|add|delete|confirm|undo and corrections list: the 校对 page's operations."""

    def common(p, row: bool = False) -> None:
        p.add_argument("doc", help="doc_id as shown by list (or the file name in data/raw)")
        p.add_argument("--who", default=None, help="reviewer's name (default: $USER)")
        p.add_argument("--reason", default=None, help="why (optional)")
        p.add_argument("--raw", type=Path, default=None)
        p.add_argument("--out", type=Path, default=None)
        if row:
            p.add_argument(
                "--table", choices=("projects", "indicators", "documents"), default="projects"
            )
            p.add_argument("--row", help="the project (projects) or indicator (indicators) name")
            p.add_argument("--project", help="indicators: the project the indicator belongs to")
            p.add_argument(
                "--n", type=int, default=None, help="which of rows with the same name (0 = first)"
            )

    c = sub.add_parser("correct", help="correct what the loaders read (校对) and rebuild")
    ops = c.add_subparsers(dest="op", required=True)
    s = ops.add_parser("set", help="set one value: --field budget_wan --value 120.5")
    common(s, row=True)
    s.add_argument("--field", required=True)
    s.add_argument("--value", required=True, help="the value; an empty string clears it")
    a = ops.add_parser("add", help="add a missing row: --set project=名称 --set budget_wan=10")
    common(a, row=True)
    a.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    d = ops.add_parser("delete", help="delete a spurious row")
    common(d, row=True)
    ops_confirm = ops.add_parser("confirm", help="confirm the document as checked")
    common(ops_confirm)
    u = ops.add_parser("undo", help="undo the newest correction in force, or --id")
    common(u)
    u.add_argument("--id", default=None, help="the correction to undo (see corrections list)")
    c.set_defaults(run=run_correct)
    lst = sub.add_parser("corrections", help="corrections list [--doc DOC]")
    lst.add_argument("action", choices=("list",))
    lst.add_argument("--doc", default=None, help="one document (doc_id or file name)")
    lst.add_argument("--raw", type=Path, default=None)
    lst.set_defaults(run=run_corrections_list)


def _password_ok() -> bool:
    """True when no import password is set, or the one given (IMPORT_PASSWORD or typed) matches."""
    import getpass
    import os

    from dashboard import auth

    if not auth.required():
        return True
    password = os.environ.get("IMPORT_PASSWORD")
    if password is None and sys.stdin.isatty():
        password = getpass.getpass("导入密码：")
    if auth.misconfigured() or not auth.check(password):
        log.error("需要导入密码：请设置环境变量 IMPORT_PASSWORD 或在提示时输入正确的密码。")
        return False
    return True


def run_correct(args) -> int:
    import getpass

    from . import review
    from .corrections import CorrectionRefused

    if not _password_ok():
        return EXIT_NOTHING_WRITTEN
    raw = args.raw or intake.raw_dir()
    out = args.out or intake.parquet_dir()
    who = args.who if args.who is not None else getpass.getuser()
    try:
        options: dict = {"who": who, "reason": args.reason, "raw": raw, "out": out}
        if args.op in ("set", "add", "delete"):
            options["table"] = args.table
        if args.op in ("set", "delete") and args.table != "documents":
            if not args.row:
                raise CorrectionRefused("请用 --row 指定项目或指标名称。")
            options["select"] = (args.row, args.project, args.n)
        if args.op == "set":
            options.update(field=args.field, value=args.value if args.value != "" else None)
        if args.op == "add":
            row = {}
            for item in args.set:
                name, sep, value = item.partition("=")
                if not sep:
                    raise CorrectionRefused(f"--set 应写作 字段=值，而不是 {item}。")
                row[name.strip()] = value
            options["row"] = row
        if args.op == "undo":
            options["undoes"] = args.id
        saved = review.save(args.doc, args.op, **options)
    except CorrectionRefused as exc:
        log.error("%s", exc)
        return EXIT_NOTHING_WRITTEN
    from .corrections import describe

    log.info("已保存校对记录 %s：%s；数据表已重建。", saved.event["id"], describe(saved.event))
    return EXIT_OK


def run_corrections_list(args) -> int:
    from . import corrections, review

    raw = args.raw or intake.raw_dir()
    if args.doc:
        try:
            names = [intake.find(raw, args.doc).name]
        except ImportRefused as exc:
            names = [args.doc] if corrections.path_for(raw, args.doc).exists() else []
            if not names:
                log.error("%s", exc)
                return EXIT_NOTHING_WRITTEN
    else:
        names = sorted(corrections.load_all(raw))
    columns = ("source_file", "id", "state", "op", "table", "what", "who", "at", "reason")
    lines = ["\t".join(columns)]
    for name in names:
        for e in reversed(review.history(raw, name)):
            values = (
                name,
                e.get("id"),
                e["state"],
                e.get("op"),
                e.get("table"),
                e["text"],
                e.get("who"),
                e.get("at"),
                e.get("reason"),
            )
            lines.append("\t".join("" if v is None else str(v) for v in values))
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
