"""Layers (GIS staff): upload a file, read its findings and its diff against the stored layer,
import it as a new version, browse the history and roll back, and decide on delegate notes.
The same functions as ``bordermap layers``: nothing lands while an error remains."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from mapping.errors import BordermapError
from mapping.i18n import t
from mapping.layers.findings import Finding
from mapping.layers.importing import ImportResult, diff_file, import_file
from mapping.layers.notes import accept_note, dismiss_note, notes, notes_frame
from mapping.layers.schema import KINDS
from mapping.maps import notes_layer
from mapping.webapp import data, error_text, format_time

UPLOAD_TYPES = ["gpkg", "geojson", "json", "zip", "kml", "kmz", "csv", "xlsx", "tif", "tiff"]  # .shp: zipped

ctx = data.page()
lang = ctx.lang
store = data.store()
st.title(t("app.pages.layers", lang))


def findings_table(findings: list[Finding]) -> pd.DataFrame:
    return pd.DataFrame({t("app.col.severity", lang): [t(f"severity.{f.severity}", lang) for f in findings],
                         t("app.col.feature", lang): [f.feature_id or "" for f in findings],
                         t("app.col.message", lang): [f.message(lang) for f in findings]})


def show_result(result: ImportResult) -> None:
    """Findings, then what would change (or changed)."""
    if result.findings:
        st.dataframe(findings_table(result.findings), hide_index=True, width="stretch")
    change = result.diff
    st.markdown(t("app.diff", lang, added=len(change.added), changed=len(change.changed),
                  removed=len(change.removed), features=result.features))
    for part in ("added", "changed", "removed"):
        ids = getattr(change, part)
        if ids:
            st.text(t(f"app.diff_{part}", lang, ids=", ".join(ids[:200])))


def safe_name(name: str) -> str:
    """The uploaded file's base name with only letters, digits, dot, dash and underscore, its
    stem cut to 100 characters (the suffix, which names the format, is kept)."""
    path = Path(re.sub(r"[^\w.\-]", "_", Path(name).name))
    return (path.stem[:100] or "upload") + path.suffix.lower()[:10]


def decide(action: str, note_id: str) -> None:
    """Accept or dismiss the note shown when the button was pressed (a button callback, run with
    the name and crossing type as typed); the outcome is shown by the run that follows."""
    user = st.session_state.get("note_user") or ""
    crossing_kind = st.session_state.get("note_crossing_kind") or "unofficial"
    if not user.strip():
        st.session_state["note_outcome"] = ("error", t("app.user_needed", lang), None)
        return
    try:
        if action == "dismiss":
            dismiss_note(store, note_id, user.strip())
            st.session_state["note_outcome"] = ("success", t("app.note_dismissed", lang), None)
            return
        note, result = accept_note(store, note_id, user.strip(), crossing_kind)
    except BordermapError as error:
        st.session_state["note_outcome"] = ("error", error_text(error, lang), None)
        return
    if note is None:
        st.session_state["note_outcome"] = ("error", t("app.note_refused", lang), result)
    else:
        st.session_state["note_outcome"] = ("success", t("app.note_accepted", lang, version=note.version),
                                            result)


def show_outcome(kind: str, message: str, result: ImportResult | None) -> None:
    (st.success if kind == "success" else st.error)(message)
    if result is not None and kind == "error":
        show_result(result)
    elif result is not None and result.findings:
        st.dataframe(findings_table(result.findings), hide_index=True, width="stretch")


upload_tab, history_tab, notes_tab = st.tabs([t("app.upload", lang), t("app.history", lang),
                                              t("app.notes", lang)])

with upload_tab:
    cols = st.columns(3)
    kind = cols[0].selectbox(t("app.kind", lang), list(KINDS), key="upload_kind",
                             format_func=lambda k: t(f"kinds.{k}", lang))
    fix = cols[1].checkbox(t("app.fix", lang), key="upload_fix", help=t("app.fix_help", lang))
    user = cols[2].text_input(t("app.user", lang), key="upload_user")
    upload = st.file_uploader(t("app.upload_file", lang), type=UPLOAD_TYPES, key="upload_file")
    if upload is not None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / safe_name(upload.name)
            path.write_bytes(upload.getvalue())
            try:
                with st.spinner(t("app.checking", lang)):
                    result = diff_file(path, kind, store, fix=fix)
                show_result(result)
                errors = any(f.severity == "error" for f in result.findings)
                if errors:
                    st.error(t("app.import_blocked", lang))
                elif result.unchanged:
                    st.info(t("app.import_unchanged", lang))
                elif st.button(t("app.import", lang), key="import_button", type="primary"):
                    if not user.strip():
                        st.error(t("app.user_needed", lang))
                    else:
                        done = import_file(path, kind, store, user=user.strip(), fix=fix)
                        if done.committed:
                            st.success(t("app.imported", lang, version=done.version.version,
                                         kind=t(f"kinds.{kind}", lang)))
                        else:
                            show_result(done)
            except BordermapError as error:
                st.error(error_text(error, lang))

with history_tab:
    versions = store.history()
    st.dataframe(pd.DataFrame({
        t("app.col.version", lang): [v.version for v in versions],
        t("app.kind", lang): [t(f"kinds.{v.kind}", lang) for v in versions],
        t("app.col.action", lang): [t(f"cli.action.{v.action}", lang) for v in versions],
        t("app.col.time", lang): [format_time(v.time, lang) for v in versions],
        t("app.col.user", lang): [v.user for v in versions],
        t("app.col.file", lang): [v.source_file for v in versions],
        t("app.col.features", lang): [v.features for v in versions],
        t("app.col.changes", lang): [f"+{len(v.added)} ~{len(v.changed)} −{len(v.removed)}"
                                     for v in versions],
    }).iloc[::-1], hide_index=True, width="stretch")
    cols = st.columns([1, 2, 1])
    target = cols[0].selectbox(t("app.col.version", lang), [v.version for v in reversed(versions)],
                               key="rollback_version")
    rollback_user = cols[1].text_input(t("app.user", lang), key="rollback_user")
    if cols[2].button(t("app.rollback", lang), key="rollback_button"):
        if not rollback_user.strip():
            st.error(t("app.user_needed", lang))
        else:
            try:
                done = store.rollback(int(target), rollback_user.strip())
                st.success(t("app.rolled_back", lang, version=target, new=done.version))
            except BordermapError as error:
                st.error(error_text(error, lang))

with notes_tab:
    found = notes(store)
    open_notes = [n for n in found if n.status == "open"]
    if open_notes:
        group = notes_layer(notes_frame(open_notes), lang)
        fmap = data.base(ctx.path, ctx.version, lang, 0.6, None)
        st_folium(fmap, key="notes_map", height=420, use_container_width=True, feature_group_to_add=group,
                  returned_objects=[])
    if not found:
        st.info(t("app.no_notes", lang))
    else:
        frame = pd.DataFrame({
            t("app.col.id", lang): [n.note_id for n in found],
            t("app.col.time", lang): [format_time(n.created, lang) for n in found],
            t("app.note.author", lang): [n.author for n in found],
            t("app.note.organisation", lang): [n.organisation for n in found],
            t("app.note.country", lang): [n.country for n in found],
            t("app.note.kind", lang): [t(f"notes.kinds.{n.kind}", lang) for n in found],
            t("app.note.text", lang): [n.text for n in found],
            t("app.col.status", lang): [t(f"notes.status.{n.status}", lang) for n in found],
        })
        st.dataframe(frame, hide_index=True, width="stretch")
    if open_notes:
        labels = {n.note_id: f"{n.note_id} — {t(f'notes.kinds.{n.kind}', lang)} — {n.author}"
                  for n in open_notes}
        cols = st.columns([2, 1, 1])
        chosen = cols[0].selectbox(t("app.note_choose", lang), list(labels), format_func=labels.get,
                                   key="note_choice")
        cols[1].text_input(t("app.user", lang), key="note_user")
        cols[2].selectbox(t("app.crossing_kind", lang), ["unofficial", "official"],
                                          key="note_crossing_kind",
                                          format_func=lambda k: t(f"values.{k}", lang))
        accept, dismiss = st.columns(2)
        kind_of = {n.note_id: n.kind for n in open_notes}
        # the buttons act on the note shown when they were pressed (passed to the callback), never
        # on whichever note the list falls back to once that one is decided
        accept.button(t("app.note_accept", lang), key="note_accept", type="primary", on_click=decide,
                      args=("accept", chosen), disabled=kind_of[chosen] == "other",
                      help=t("app.note_accept_help", lang))
        dismiss.button(t("app.note_dismiss", lang), key="note_dismiss", on_click=decide,
                       args=("dismiss", chosen))
    if (outcome := st.session_state.pop("note_outcome", None)) is not None:
        show_outcome(*outcome)
