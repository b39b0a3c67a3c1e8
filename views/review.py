"""校对: check what the loaders read beside the source, correct it, confirm the document.

Every change is a correction stored in data/raw/corrections/ (loaders.review): the document is
never modified, the value read stays beside the corrected one, and undo keeps the history.
"""

import math

import streamlit as st

from dashboard import data, trace, ui
from dashboard import review as rv
from dashboard.markup import md_escape
from loaders import corrections as c
from loaders import review
from loaders.intake import raw_dir

# The query parameter last applied to the document choice: a new link re-selects the document.
APPLIED_KEY = "_review_applied"
DONE_KEY = "_review_done"
TABLE_TABS = {"projects": "预算行", "indicators": "绩效指标"}


def store(doc_id: str, changes: list[dict], who: str, reason: str | None) -> None:
    """Save corrections and rerun, or say in Chinese why they were refused."""
    try:
        saved = review.save_all(doc_id, changes, who=who, reason=reason, timeout_s=10)
    except c.CorrectionRefused as exc:
        st.error(md_escape(str(exc)))
        return
    texts = "；".join(c.describe(e) for e in saved.events)
    st.session_state[DONE_KEY] = f"已保存 {len(saved.events)} 条校对记录：{texts}。数据表已更新。"
    st.rerun()


documents = data.documents()
if documents.empty:
    st.info("尚未生成数据：请先运行 ./run.sh（或 python -m loaders build）。")
    st.stop()

if DONE_KEY in st.session_state:
    st.success(md_escape(st.session_state.pop(DONE_KEY)))

order = rv.queue(documents, data.findings())
labels = dict(zip(order["doc_id"], order["label"], strict=True))
wanted = st.query_params.get("doc")
if wanted and wanted not in labels:
    st.warning(f"链接中的文档 {md_escape(wanted)} 不在当前数据中，请在下方选择文档。")
    wanted = None
if wanted and st.session_state.get(APPLIED_KEY) != wanted:
    st.session_state["review_doc"] = wanted
    st.session_state[APPLIED_KEY] = wanted

top = st.columns([3, 1])
doc_id = top[0].selectbox(
    "文档（有推定值、识别置信度低或数据提示的排在前面）",
    list(labels),
    format_func=labels.get,
    key="review_doc",
    index=None,
    placeholder="选择要校对的文档",
)
who = top[1].text_input(
    "校对人",
    key="review_who",
    persist_state="session",
    placeholder="姓名（本次会话填写一次）",
)
if doc_id is None:
    st.info(
        "选择一份文档：左边是读出的数据，右边是原文；改正的数值、补录或删除的行都记录在案，可撤销。"
    )
    st.stop()
if st.query_params.get("doc") != doc_id:
    st.query_params["doc"] = doc_id
    st.session_state[APPLIED_KEY] = doc_id

document = documents.set_index("doc_id").loc[doc_id]
may_edit = ui.password_gate("review_password", "解锁校对", "保存校对")
raw = raw_dir()
events = review.history(raw, document["source_file"])
confirmed = document.get("review_status") == "confirmed"
by, at = document.get("reviewed_by"), document.get("reviewed_at")
state = (
    f"✅ 已校对确认（{md_escape(by if isinstance(by, str) else '')}，"
    f"{md_escape(at[:16].replace('T', ' ') if isinstance(at, str) else '')}）"
    if confirmed
    else "尚未确认"
)
n_fixes = document.get("n_corrections")
fixes = f"　|　已修改 {int(n_fixes)} 处" if n_fixes and not math.isnan(n_fixes) else ""
st.caption(
    f"{md_escape(trace.document_label(document.to_dict() | {'doc_id': doc_id}))}　|　{state}{fixes}"
)
links = st.columns(4)
links[0].page_link(
    "views/source_viewer.py",
    label="在原文页打开",
    icon=":material/article:",
    query_params={"doc": doc_id},
)
orphans = data.findings()
orphans = orphans[(orphans["doc_id"] == doc_id) & (orphans["code"] == "CORRECTION_ORPHANED")]
if len(orphans):
    st.warning(
        f"{len(orphans)} 条校对记录在当前版本的文档中找不到目标行，未应用（保留在记录中）：\n\n"
        + "\n".join(f"- {md_escape(m)}" for m in orphans["message"])
    )

version = hash(data.stamp())
reason = None
left, right = st.columns([3, 2])
with left:
    tabs = st.tabs([*TABLE_TABS.values(), "文档信息", "历史"])
    frames = {}
    for tab, table in zip(tabs, TABLE_TABS, strict=False):
        with tab:
            source = data.projects() if table == "projects" else data.indicators()
            rows = source[source["doc_id"] == doc_id]
            frame, keys = rv.editor_frame(table, rows)
            frames[table] = frame
            config = {
                name: st.column_config.Column(rv.column_label(table, name))
                for name in frame.columns
            }
            for name, (kind, label) in c.FIELDS[table].items():
                if kind in ("money", "rate", "points"):
                    config[name] = st.column_config.NumberColumn(
                        label, format="%.2f", min_value=0.0
                    )
                elif kind == "status":
                    config[name] = st.column_config.SelectboxColumn(label, options=list(c.STATUSES))
            if table == "projects":
                config["level"] = st.column_config.SelectboxColumn("层级", options=list(c.LEVELS))
            config["mark"] = st.column_config.TextColumn("校对", help="✎ 已修改的字段与理由")
            edited = st.data_editor(
                frame,
                num_rows="dynamic" if may_edit else "fixed",
                disabled=True if not may_edit else ["source_line", "mark"],
                hide_index=True,
                placeholder="—",
                column_config=config,
                key=f"review_editor_{table}_{doc_id}_{version}",
                width="stretch",
            )
            if may_edit:
                with st.form(f"review_one_{table}"):
                    st.markdown("**修改一个数值**（或直接在上表中修改后点“保存修改”）")
                    cells = st.columns([3, 2, 2])
                    choices_ = rv.row_choices(frame, table)
                    at_row = cells[0].selectbox(
                        "行",
                        range(len(choices_)),
                        format_func=lambda i, ch=choices_: ch[i][2],
                        key=f"review_one_row_{table}",
                    )
                    at_field = cells[1].selectbox(
                        "字段",
                        list(c.FIELDS[table]),
                        format_func=lambda f, t=table: c.field_label(t, f),
                        key=f"review_one_field_{table}",
                    )
                    new_value = cells[2].text_input("新值", key=f"review_one_value_{table}")
                    if st.form_submit_button("保存这一处") and at_row is not None:
                        one = {"op": "set", "table": table, "key": keys[at_row]}
                        one.update(field=at_field, value=new_value.strip() or None)
                        one["expected"] = rv.shown_value(frame, at_row, at_field)
                        store(doc_id, [one], who, st.session_state.get("review_reason"))
                pending = rv.changes(table, frame, edited, keys)
                st.caption(
                    f"待保存 {len(pending)} 处修改"
                    if pending
                    else "直接在表格中修改；末尾可补录行，勾选行后可删除。"
                )
                if st.button(
                    "保存修改", key=f"review_save_{table}", disabled=not pending, type="primary"
                ):
                    store(doc_id, pending, who, st.session_state.get("review_reason"))
    with tabs[2]:
        st.dataframe(rv.metadata_rows(document.to_dict()), hide_index=True, width="stretch")
        if may_edit:
            with st.form("review_meta_form"):
                field = st.selectbox(
                    "修改字段",
                    list(c.FIELDS["documents"]),
                    format_func=lambda f: c.field_label("documents", f),
                    key="review_meta_field",
                )
                value = st.text_input("新值", key="review_meta_value")
                if st.form_submit_button("保存"):
                    store(
                        doc_id,
                        [
                            {
                                "op": "set",
                                "table": "documents",
                                "field": field,
                                "value": value,
                                "expected": rv.shown_value(
                                    documents[documents["doc_id"] == doc_id], 0, field
                                ),
                            }
                        ],
                        who,
                        st.session_state.get("review_reason"),
                    )
    with tabs[3]:
        if events:
            st.dataframe(rv.history_frame(events), hide_index=True, width="stretch")
        else:
            st.caption("这份文档还没有校对记录。")
        live = {e["id"]: e for e in events if e["state"] == "在用"}
        if may_edit and live:
            # any record, not only the newest: a correction orphaned by a new version, say
            cells = st.columns([4, 1], vertical_alignment="bottom")
            chosen = cells[0].selectbox(
                "撤销指定的记录",
                list(live),
                format_func=lambda i: f"{i} · {live[i]['text']}",
                key="review_undo_pick",
            )
            if cells[1].button("撤销", key="review_undo_one"):
                store(doc_id, [{"op": "undo", "undoes": chosen}], who, None)

    if may_edit:
        st.text_input("理由（可选，随本次保存记录）", key="review_reason")
        actions = st.columns(2)
        if actions[0].button(
            "确认本文档已校对", key="review_confirm", icon=":material/task_alt:", disabled=confirmed
        ):
            store(doc_id, [{"op": "confirm"}], who, st.session_state.get("review_reason"))
        last = c.last_undoable(c.load(raw, document["source_file"]))
        if actions[1].button(
            "撤销上一步" + (f"（{md_escape(c.describe(last))}）" if last else ""),
            key="review_undo",
            icon=":material/undo:",
            disabled=last is None,
        ):
            store(doc_id, [{"op": "undo", "undoes": last["id"]}], who, None)

with right:
    path = raw / document["source_file"]
    try:
        stat = path.stat()
        lines, sha, raw_bytes, geometry = rv.read_source(str(path), stat.st_mtime_ns, stat.st_size)
    except (OSError, ValueError) as exc:
        st.error(f"无法读取原文件 {md_escape(document['source_file'])}（{type(exc).__name__}）。")
        st.stop()
    choices = [(t, *choice) for t in TABLE_TABS for choice in rv.row_choices(frames[t], t)]
    picked = st.selectbox(
        "定位原文",
        range(len(choices)),
        format_func=lambda i: f"{TABLE_TABS[choices[i][0]]} · {choices[i][3]}",
        key=f"review_locate_{doc_id}",
        index=0 if choices else None,
    )
    line = choices[picked][2] if picked is not None and choices else None
    target = trace.clamp(trace.Target(doc_id, line), len(lines))
    first, last_line = trace.part_of(target, len(lines))
    # the pick in the box's id: another row of the same line is new HTML, whose script scrolls
    # the pane back to the line (same HTML is not re-rendered, so a pane scrolled away stayed)
    text_html = trace.lines_html(
        list(lines), first, last_line, target, box_id=f"reviewsrc-{picked}"
    )
    if geometry is not None and geometry.pages:
        from dashboard import pageimage

        where = trace.page_target(geometry, target)
        png = pageimage.highlighted(pageimage.rendered(raw_bytes, sha, where.page), where.boxes)
        st.image(png, width="stretch", caption=f"第 {where.page} 页（橙色框：所选行）")
    st.html(text_html, unsafe_allow_javascript=True)
