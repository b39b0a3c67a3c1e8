"""导入文档: upload files, preview what would load, fix unit/region/year, import; remove documents."""

import hashlib
import logging
import os
import time
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import auth, background, serving, ui
from dashboard.constants import CODE_LABELS, KIND_LABELS, SEVERITY_LABELS, STATUS_LABELS
from dashboard.markup import md_escape
from dashboard.queries import COLUMN_LABELS
from loaders import intake, legacy, ocr
from loaders.readers import FORMAT_LABELS, IMAGE_SUFFIXES, SUFFIXES, TEXT_SUFFIXES, suffix_of

# Previews kept per session (file id and fields -> Preview); a rerun does not parse again.
PREVIEW_CACHE_KEY = "_import_previews"
PREVIEW_CACHE_SIZE = 32
# Outcome of an import, by file hash, shown in that file's box after the rerun.
DONE_KEY = "_import_done"
PROJECT_COLUMNS = ["level", "project", "budget_wan", "actual_wan", "execution_rate_pct"]
INDICATOR_COLUMNS = ["project", "level1", "level2", "name", "target_text", "actual_text", "status"]
FINDING_COLUMNS = ["severity", "code_label", "message", "project", "source_line", "code"]
# Files whose own encoding is detected (xlsx and docx are read as Unicode by their readers).
TEXT_FORMATS = (*TEXT_SUFFIXES, ".csv")
# The file types the upload accepts, with their Chinese names.
ACCEPTED = "、".join(f"{FORMAT_LABELS[suffix]}（{suffix}）" for suffix in SUFFIXES)
# Uploads read by OCR in the background (dashboard/background.py), and how often their progress
# is polled.
OCR_SUFFIXES = IMAGE_SUFFIXES
OCR_POLL_S = 1.0
# How long the page waits for an import in progress before it lists the documents anyway.
RECOVER_WAIT_S = 5.0
LIST_COLUMNS = ["doc_id", "doc_kind", "unit", "region", "year", "source_file"]
LABELS = {
    **COLUMN_LABELS,
    "doc_id": "文档编号",
    "doc_kind": "文档类型",
    "level": "层级",
    "status": "状态",
    "severity": "级别",
}
# Shown for any error the intake did not foresee; the traceback goes to the server's log only.
UNEXPECTED = (
    "{action}时发生意外错误，操作未完成：请稍后重试；如仍出错，请告知管理员发生的时间"
    "（详情已写入服务器日志）。"
)

log = logging.getLogger("views.import_documents")

raw, out = intake.raw_dir(), intake.parquet_dir()


def frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    if "code" in table:
        table["code_label"] = table["code"].map(lambda c: CODE_LABELS.get(c, c))
    table = table.reindex(columns=columns)
    if "doc_kind" in table:
        table["doc_kind"] = table["doc_kind"].map(lambda k: KIND_LABELS.get(k, k))
    if "severity" in table:
        table["severity"] = table["severity"].map(lambda s: SEVERITY_LABELS.get(s, s))
    if "status" in table:
        table["status"] = table["status"].map(lambda s: STATUS_LABELS.get(s, s))
    return table.rename(columns=LABELS)


def uploader_style(max_mb: float) -> str:
    """CSS giving the uploader's button and hint Chinese words (Streamlit prints "Upload" and
    "200MB per file" in English and offers no setting for them); the limit is the intake's."""
    box = ".st-key-import_files [data-testid=stFileUploaderDropzone]"
    return (
        "<style>"
        f"{box} button [data-testid=stMarkdownContainer] p {{font-size: 0}}"
        f"{box} button [data-testid=stMarkdownContainer] p::after "
        "{content: '选择文件'; font-size: 0.875rem}"
        f"{box} [data-testid=stFileUploaderDropzoneInstructions] span {{font-size: 0}}"
        f"{box} [data-testid=stFileUploaderDropzoneInstructions] span::after "
        f"{{content: '或把文件拖到这里，每个文件不超过 {max_mb:g} MB'; font-size: 0.875rem}}"
        "</style>"
    )


def folder_signature(raw: Path) -> str:
    """A digest of the name, size and modification time of every file in raw (sources.toml
    included): it changes whenever a document is added, removed, replaced or edited. Stating
    10,000 files takes ~40 ms where hashing their bytes took ~0.5 s."""
    digest = hashlib.sha256()
    for entry in sorted(os.scandir(raw), key=lambda e: e.name):
        if entry.is_file():
            stat = entry.stat()
            digest.update(f"{entry.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@st.cache_resource(show_spinner=False, max_entries=4)
def catalogue(raw: str, out: str, signature: str, tables_mtime_ns: int) -> tuple:
    """(intake.catalogue rows, the listed table) once per state of the documents folder and of
    documents.parquet. Shared between sessions: read-only."""
    rows = intake.catalogue(Path(raw), Path(out))
    return rows, frame(rows, LIST_COLUMNS)


def loaded_documents() -> tuple:
    try:
        tables_mtime_ns = (out / "documents.parquet").stat().st_mtime_ns
    except OSError:
        tables_mtime_ns = 0
    return catalogue(str(raw), str(out), folder_signature(raw), tables_mtime_ns)


def preview(upload, fields: dict) -> intake.Preview | str:
    """intake.inspect for an uploaded file with the form's fields, cached for the session; for
    a scan or photo not read yet, the key of the background job reading it (OCR)."""
    cache = st.session_state.setdefault(PREVIEW_CACHE_KEY, {})
    key = (upload.file_id, upload.name, tuple(sorted(fields.items())))
    if key not in cache:
        data = upload.getvalue()
        sha = hashlib.sha256(data).hexdigest()
        if suffix_of(upload.name) in OCR_SUFFIXES and not ocr.is_read(sha):
            job_key = f"inspect:{sha}:{upload.name}:{sorted(fields.items())}"
            job = background.submit(
                job_key, lambda: intake.inspect(upload.name, data, fields or None)
            )
            if not job.finished:
                return job_key
            if job.error is not None:
                raise job.error
            cache[key] = job.result
        else:
            cache[key] = intake.inspect(upload.name, data, fields or None)
        while len(cache) > PREVIEW_CACHE_SIZE:
            cache.pop(next(iter(cache)))
    return cache[key]


@st.fragment(run_every=OCR_POLL_S)
def ocr_progress(job_key: str) -> None:
    """A scan being read in the background: its pages so far; the page reruns when it is done."""
    job = background.get(job_key)
    if job is None or job.finished:
        st.rerun()
    elapsed = time.monotonic() - job.started
    if job.total:
        st.progress(
            job.done / job.total,
            text=f"正在识别文字（OCR）：已完成 {job.done}/{job.total} 页，用时 {elapsed:.0f} 秒…",
        )
    else:
        st.progress(0.0, text=f"排队等待文字识别（OCR），已等 {elapsed:.0f} 秒…")
    st.caption("扫描件和照片每页需数秒识别；识别在后台进行，不影响其他用户使用。")


def edited_fields(detected: dict, key: str) -> dict:
    """Unit / region / year inputs, prefilled with what the document says; returns the changes."""
    columns = st.columns(3)
    typed = {}
    for column, (field, label) in zip(
        columns, (("unit", "单位"), ("region", "地区"), ("year", "年度")), strict=True
    ):
        value = detected.get(field)
        typed[field] = column.text_input(
            label,
            value="" if value is None else str(value),
            key=f"import_{field}_{key}",
            help="文档未印发或识别有误时请填写；写入 data/raw/sources.toml",
        )
    try:
        fields = intake.clean_fields(**typed)
    except intake.ImportRefused as exc:
        st.error(md_escape(exc))
        return {"invalid": True}
    return {k: v for k, v in fields.items() if str(v) != str(detected.get(k) or "")}


def show_tables(p: intake.Preview) -> None:
    tabs = st.tabs(
        [
            f"项目（{len(p.projects)}）",
            f"指标（{len(p.indicators)}）",
            f"数据提示（{len(p.findings)}）",
        ]
    )
    for tab, rows, columns in zip(
        tabs,
        (p.projects, p.indicators, p.findings),
        (PROJECT_COLUMNS, INDICATOR_COLUMNS, FINDING_COLUMNS),
        strict=True,
    ):
        with tab:
            if rows:
                st.dataframe(frame(rows, columns), hide_index=True, width="stretch", height=240)
            else:
                st.caption("无")


def file_box(upload, rows: list[dict]) -> None:
    """One uploaded file: what was read, the editable fields, and 确认导入."""
    data = upload.getvalue()
    if suffix_of(upload.name) in legacy.DOCUMENT_SUFFIXES:
        with st.spinner("正在用 LibreOffice 转换文档（需几秒钟）…"):
            base = preview(upload, {})
    else:
        base = preview(upload, {})
    st.markdown(f"**{md_escape(intake.printable(upload.name))}**　{intake.size_text(len(data))}")
    if isinstance(base, str):  # read by OCR in the background
        ocr_progress(base)
        return
    key = base.sha256[:12]
    done = st.session_state.get(DONE_KEY, {}).get(base.sha256)
    if done:
        st.success(done)
        return
    if not base.ok:
        st.error(md_escape(base.refusal))
        if base.findings:
            st.dataframe(frame(base.findings, FINDING_COLUMNS), hide_index=True, width="stretch")
        return
    fields = edited_fields(base.document, key)
    if fields.pop("invalid", False):
        return
    p = preview(upload, fields) if fields else base
    if isinstance(p, str):
        ocr_progress(p)
        return
    doc = p.document
    encoding = (p.encoding or "").upper() if p.name.endswith(TEXT_FORMATS) else "—"
    st.caption(
        f"格式：{p.label}　|　编码：{encoding}　|　"
        f"类型：{KIND_LABELS.get(p.kind, p.kind)}（置信度 {doc.get('kind_score', 0):.2f}）　|　"
        f"单位：{md_escape(doc.get('unit')) or '未识别'}　|　"
        f"地区：{md_escape(doc.get('region')) or '未知'}　|　"
        f"年度：{md_escape(doc.get('year')) or '未识别'}　|　保存为：{md_escape(p.name)}"
        + (f"　|　{doc['pages']} 页" if doc.get("pages") else "")
        + (f"（其中 {doc['ocr_pages']} 页由 OCR 识别）" if doc.get("ocr_pages") else "")
    )
    show_tables(p)
    same, older = intake.existing_matches(doc, rows)
    if same is not None:
        st.info(f"该文件已导入：与 {md_escape(intake.describe(same))} 内容完全相同，不会重复导入。")
        return
    replace = False
    if older:
        st.warning(
            "已有同一单位、同一年度的同类文档："
            + md_escape("、".join(intake.describe(r) for r in older))
            + "。导入将替换旧版本（旧文件移入 data/trash/）。"
        )
        replace = st.checkbox("确认替换旧版本", key=f"import_replace_{key}")
    if st.button(
        "确认导入",
        key=f"import_confirm_{key}",
        type="primary",
        disabled=bool(older) and not replace,
    ):
        if not auth.unlocked():
            st.error("需要导入密码：请先在本页上方输入导入密码。")
            return
        try:
            with st.spinner("正在导入并重建数据表…"):
                change = intake.add(upload.name, data, raw, out, fields, replace=replace)
        except intake.ImportRefused as exc:
            st.error(md_escape(exc))
            return
        message = f"已导入 {md_escape(change.stored)}（doc_id {md_escape(change.doc_id)}），数据表已重建。"
        if change.trashed:
            message += f"旧版本 {md_escape('、'.join(change.trashed))} 已移入 data/trash/。"
        st.session_state.setdefault(DONE_KEY, {})[base.sha256] = message
        st.rerun()


def unexpected(action: str) -> None:
    """Inside an except block: log the traceback for the administrator, tell the user in Chinese."""
    log.exception("导入文档 page: %s failed unexpectedly", action)
    st.error(UNEXPECTED.format(action=action))


def removal(rows: list[dict]) -> None:
    st.subheader("移除文档")
    if not rows:
        st.caption("没有可移除的文档。")
        return
    labels = {
        r["doc_id"]: f"{r.get('unit') or '单位未知'} · {r.get('year') or '年度未知'} · "
        f"{r['source_file']}"
        for r in rows
    }
    doc_id = st.selectbox(
        "要移除的文档",
        list(labels),
        format_func=labels.get,
        index=None,
        key="import_remove_doc",
        placeholder="请选择要移除的文档",
    )
    if doc_id is None:
        return
    sure = st.checkbox("确认将该文档移入 data/trash/（可从那里恢复）", key="import_remove_confirm")
    if st.button("移除文档", key="import_remove_button", disabled=not sure):
        if not auth.unlocked():
            st.error("需要导入密码：请先在本页上方输入导入密码。")
            return
        try:
            with st.spinner("正在移除并重建数据表…"):
                change = intake.remove(doc_id, raw, out)
        except intake.ImportRefused as exc:
            st.error(md_escape(exc))
            return
        st.session_state["_import_removed"] = (
            f"已将 {md_escape(change.trashed[0])} 移入 data/trash/，数据表已重建。"
        )
        for key in ("import_remove_doc", "import_remove_confirm"):
            st.session_state.pop(key, None)
        st.rerun()


if not raw.is_dir():
    st.error(
        f"文档文件夹 {md_escape(raw)} 不存在：请检查 {md_escape(intake.RAW_ENV)} 或 data/raw。"
    )
    st.stop()
try:
    # an import killed half-way is kept or undone before anything is listed; one still running
    # (it holds the lock) settles its own
    intake.recover_interrupted(raw, timeout_s=RECOVER_WAIT_S)
except intake.Busy:
    pass
except intake.ImportRefused as exc:
    st.error(md_escape(exc))
    st.stop()
except Exception:
    unexpected("核对上次中断的导入")
    st.stop()
try:
    loaded, loaded_table = loaded_documents()
except intake.ImportRefused as exc:
    st.error(md_escape(exc))
    st.stop()
except Exception:
    unexpected("读取已导入的文档")
    st.stop()

exposed = auth.exposure_warning(serving.address())
if exposed:
    st.warning(exposed)
try:
    intake.check_folders(raw, out)
    allowed = ui.password_gate("import_password", "解锁导入", "导入和移除文档")
except intake.ImportRefused as exc:  # DASHBOARD_PARQUET_DIR is, holds or lies in data/raw
    st.error(f"导入与移除已停用：{md_escape(exc)}")
    allowed = False
if allowed:
    st.subheader("上传文件")
    st.caption(
        f"可导入 {ACCEPTED}，每个文件不超过 {intake.max_mb():g} MB。"
        "每个文件先试读：请核对类型、单位、地区和年度，再点 确认导入。"
    )
    if legacy.find_soffice() is None:
        st.info(
            "本机未安装 LibreOffice，暂不能读取 .doc 和 .wps 文件：请管理员以 root 运行 "
            f"`{legacy.INSTALL_HINT}`，或在 Word/WPS 中另存为 .docx 后再导入。"
            ".xls 和 .et 文件不受影响。"
        )
    st.html(uploader_style(intake.max_mb()))
    uploads = st.file_uploader(
        "选择文件", accept_multiple_files=True, key="import_files", label_visibility="collapsed"
    )
    for upload in uploads or []:
        with st.container(border=True):
            try:
                file_box(upload, loaded)
            except Exception:  # a bug or the disk, not the file: the intake refuses bad files
                unexpected("读取或导入文件")

st.subheader("已导入的文档")
removed = st.session_state.pop("_import_removed", None)
if removed:
    st.success(removed)
if loaded:
    st.dataframe(loaded_table, hide_index=True, width="stretch")
else:
    st.caption("data/raw 中还没有文档。")
if allowed:
    try:
        removal(loaded)
    except Exception:  # a bug or the disk: intake.remove refuses what it foresees
        unexpected("移除文档")
