"""原文: a document's text with line numbers; ?doc=&line=&end= opens it at those lines, highlighted.

A PDF is shown as its page image (rendered server-side) with the cited lines' box drawn on it,
beside the recovered text; the link's lines choose the page.
"""

import hashlib
import mimetypes
from pathlib import Path

import streamlit as st

from dashboard import data, pageimage, trace
from dashboard.markup import md_escape
from dashboard.queries import Filters
from loaders.document import DecodeError, Doc
from loaders.intake import raw_dir
from loaders.readers import ReaderError, convert

# The query parameters last applied to the page's widgets: a new link re-selects the document.
APPLIED_KEY = "_source_applied"
ROWS_AT_LABELS = {"what": "类别", "name": "名称", "detail": "内容", "source_line": "行号"}


@st.cache_data(show_spinner="正在读取原文…", max_entries=8)
def read_source(path: str, mtime_ns: int, size: int):
    """The document's lines as the loaders numbered them, its sha256, its bytes and, for a PDF,
    where each line sat on its page (Geometry)."""
    raw = Path(path).read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    converted = convert(Path(path).name, raw)
    doc = Doc.from_bytes(Path(path).name, converted.data, sha)
    return tuple(doc.lines), sha, raw, converted.geometry


@st.cache_data(show_spinner=False, max_entries=32)
def page_png(raw: bytes, sha: str, page: int, boxes: tuple) -> bytes:
    """Page `page` as PNG with boxes highlighted (the plain rendering is cached on disk)."""
    return pageimage.highlighted(pageimage.rendered(raw, sha, page), boxes)


@data.memo
def document_labels(selection) -> dict:
    """doc_id -> its label, every document in region, unit, year and file order (once per
    table version: a rerun does not sort and label a thousand documents again)."""
    documents = selection.documents.sort_values(["region", "unit", "year", "source_file"])
    return {row["doc_id"]: trace.document_label(row) for row in documents.to_dict("records")}


documents = data.documents()
if documents.empty:
    st.info(
        "尚未生成数据：请先运行 ./run.sh（或 python -m loaders build --raw data/raw --out data/parquet）。"
    )
    st.stop()

labels = document_labels(data.selection(Filters()))
target = trace.parse_target(st.query_params.to_dict())
if target.doc is not None and target.doc not in labels:
    st.warning(
        f"链接中的文档 {md_escape(target.doc)} 不在当前数据中（可能已移除或重新导入），"
        "请在下方选择文档。"
    )
    target = trace.Target()
if target.doc is not None and st.session_state.get(APPLIED_KEY) != target:
    st.session_state["source_doc"] = target.doc
    st.session_state[APPLIED_KEY] = target
    st.session_state.pop("source_part", None)

doc_id = st.selectbox(
    "文档",
    list(labels),
    format_func=labels.get,
    key="source_doc",
    index=None,
    placeholder="选择要查看原文的文档",
)
if doc_id is None:
    st.info("选择一份文档查看原文；从任一页面表格的“原文”列点开时，会直接定位到该行。")
    st.stop()
if doc_id != target.doc:
    # another document chosen here: the link now names it, without the old lines
    target = trace.Target(doc_id)
    st.query_params["doc"] = doc_id
    for key in ("line", "end"):
        if key in st.query_params:
            del st.query_params[key]
    st.session_state[APPLIED_KEY] = target

document = documents.set_index("doc_id").loc[doc_id]
st.page_link(
    "views/review.py",
    label="校对这份文档",
    icon=":material/edit_note:",
    query_params={"doc": doc_id},
)
path = raw_dir() / document["source_file"]
try:
    stat = path.stat()
    lines, sha, raw, geometry = read_source(str(path), stat.st_mtime_ns, stat.st_size)
except FileNotFoundError:
    st.error(
        f"原文件 {md_escape(document['source_file'])} 不在 {md_escape(raw_dir())} 中（可能已移除）："
        "请重新导入该文件或重新生成数据。"
    )
    st.stop()
except (OSError, DecodeError, ReaderError) as exc:
    st.error(f"无法读取原文件 {md_escape(document['source_file'])}：{md_escape(exc)}")
    st.stop()

target = trace.clamp(target, len(lines))
info = st.columns([5, 1], vertical_alignment="bottom")
info[0].caption(
    f"{md_escape(labels[doc_id])}　|　共 {len(lines):,} 行　|　sha256 {sha[:16]}…"
    + ("" if sha == document["sha256"] else "　|　⚠️ 文件在生成数据表后已更改")
)
with info[1]:
    st.download_button(
        "下载原文件",
        data=raw,
        file_name=document["source_file"],
        mime=mimetypes.guess_type(document["source_file"])[0] or "application/octet-stream",
        key="source_download",
        on_click="ignore",
        icon=":material/download:",
        width="stretch",
    )
if sha != document["sha256"]:
    st.warning(
        "原文件在生成数据表之后被修改过，行号可能与数据表不一致：请重新生成数据（./run.sh）。"
    )

if target.line is not None:
    span = (
        f"第 {target.line} 行"
        if target.last == target.line
        else f"第 {target.line}–{target.last} 行"
    )
    st.markdown(f"**高亮：{span}**（黄色底色）")
elif trace.parse_target(st.query_params.to_dict()).line is not None:
    st.warning(f"链接中的行号超出了文档的 {len(lines):,} 行，已显示文档开头。")

first, last = trace.part_of(target, len(lines))
if len(lines) > trace.VIEW_LINES:
    chunks = trace.parts(len(lines))
    if target.line is None:
        first, last = st.selectbox(
            "显示的行",
            chunks,
            format_func=lambda c: f"第 {c[0]:,}–{c[1]:,} 行",
            key="source_part",
        )
    else:
        st.caption(f"文档较长，显示第 {first:,}–{last:,} 行。")
text_html = trace.lines_html(list(lines), first, last, target)
if geometry is None or not geometry.pages:
    st.html(text_html, unsafe_allow_javascript=True)
else:
    where = trace.page_target(geometry, target)
    if st.session_state.get("_source_page_for") != (doc_id, target):
        # a new link or document: show its page
        st.session_state["source_page"] = where.page
        st.session_state["_source_page_for"] = (doc_id, target)
    numbers = [p.number for p in geometry.pages]
    image_col, text_col = st.columns([3, 2])
    with image_col:
        page = st.selectbox(
            "页",
            numbers,
            key="source_page",
            format_func=lambda n: (
                f"第 {n} 页 / 共 {len(numbers)} 页"
                + ("（OCR 识别）" if geometry.pages[n - 1].ocr else "")
            ),
        )
        boxes = where.boxes if page == where.page else ()
        try:
            st.image(page_png(raw, sha, page, boxes), width="stretch")
        except Exception as exc:  # a page pdfium cannot draw: the text still shows
            st.warning(f"第 {page} 页无法显示为图像（{type(exc).__name__}），请查看右侧文本。")
        if boxes:
            st.caption("橙色框：引用的行在该页上的位置。")
    with text_col:
        st.html(text_html, unsafe_allow_javascript=True)

if target.line is not None:
    read = trace.rows_at(doc_id, target, data.projects(), data.indicators(), data.findings())
    st.subheader("从这些行读出的数据")
    if read.empty:
        st.caption("数据表中没有从这些行开始的记录。")
    else:
        st.dataframe(
            read.rename(columns=ROWS_AT_LABELS),
            hide_index=True,
            width="stretch",
            column_config={"内容": st.column_config.TextColumn("内容", width="large")},
        )
