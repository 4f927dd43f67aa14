"""Layers (GIS staff): upload a file, read its findings and what it would change, import it as
an update or a replacement, browse the history and roll back, and decide on delegate notes.
The same functions as ``bordermap layers``: nothing lands while an error remains."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from mapping.accounts.roles import Permission
from mapping.errors import BordermapError
from mapping.i18n import t
from mapping.layers.diff import changed_columns, listed
from mapping.layers.findings import ERROR, Finding, fix_message, has_errors
from mapping.layers.guess import guess_kind
from mapping.layers.importing import ImportResult, diff_file, import_file
from mapping.layers.notes import accept_note, dismiss_note, note_layer, notes, notes_frame, preview_note
from mapping.layers.schema import KINDS
from mapping.layers.store import Version
from mapping.layers.uploads import saved_upload
from mapping.maps import layer_control, notes_layer
from mapping.protection.shown import shown_notes
from mapping.webapp import data, error_text, format_time, levels_ui, md_text, project_ui, tables
from mapping.webapp.choices import choose
from mapping.webapp.viewer import author, current, name_field

UPLOAD_TYPES = ["gpkg", "geojson", "json", "zip", "kml", "kmz", "csv", "tsv", "txt", "xlsx", "tif",
                "tiff"]  # .shp: zipped; .txt: what Excel saves as "Unicode text"
MODES = ("update", "replace")

ctx = data.page()
lang = ctx.lang
store = data.store()
viewer = current()
st.title(t("app.pages.layers", lang))
project = data.project(ctx.path, ctx.version)
if viewer.may(Permission.PROJECT):
    project_ui.settings_expander(store, project, project_ui.known_countries(
        data.layers(ctx.path, ctx.version), project), lang)


def findings_table(findings: list[Finding]) -> None:
    """Every finding, errors first, messages in full."""
    ordered = sorted(findings, key=lambda f: f.severity != ERROR)
    tables.text_table(pd.DataFrame({
        t("app.col.severity", lang): [t(f"severity.{f.severity}", lang) for f in ordered],
        t("app.col.feature", lang): [f.feature_id for f in ordered],
        t("app.col.message", lang): [f.message(lang) for f in ordered]}))


def show_result(result: ImportResult) -> None:
    """Findings, then what would change (or changed): ids added, changed with their columns,
    removed, and the stored features that stay as they are."""
    if result.findings:
        findings_table(result.findings)
    change = result.diff
    st.markdown(t("app.diff", lang, added=len(change.added), changed=len(change.changed),
                  removed=len(change.removed), unchanged=change.unchanged, features=result.features))
    for part in ("added", "removed"):
        ids = getattr(change, part)
        if ids:
            st.text(t(f"app.diff_{part}", lang, ids=listed(ids)))
    if change.columns:
        st.text(t("app.diff_changed", lang, ids=listed([f"{fid} ({changed_columns(columns, lang)})"
                                                         for fid, columns in change.columns.items()], "; ")))
    for applied in result.fixes_applied:
        st.text(fix_message(applied, lang))


def version_label(version: Version) -> str:
    return t("app.version_label", lang, version=version.version, kind=t(f"kinds.{version.kind}", lang),
             action=t(f"cli.action.{version.action}", lang), time=format_time(version.time, lang),
             file=version.source_file or "—")


def guessed_kind(upload) -> str | None:
    """The kind the uploaded file's columns fit best, worked out once per file."""
    guesses = st.session_state.setdefault("upload_guesses", {})
    if upload.file_id not in guesses:
        with saved_upload(upload.name, upload.getvalue()) as path:
            guesses[upload.file_id] = guess_kind(path)
    return guesses[upload.file_id]


def checked(upload, kind: str, options: dict) -> ImportResult:
    """What importing the uploaded file would do, worked out once per file, kind, options and
    store version (the page runs again at every click)."""
    key = (upload.file_id, kind, tuple(sorted(options.items())), ctx.version)
    cache = st.session_state.setdefault("upload_checks", {})
    if key not in cache:
        with st.spinner(t("app.checking", lang)), saved_upload(upload.name, upload.getvalue()) as path:
            result = diff_file(path, kind, store, **options)
        cache.clear()  # the latest check only
        cache[key] = result
    return cache[key]


def import_upload(upload, kind: str, options: dict, shown: ImportResult, consent_key: str | None) -> None:
    """The import button's callback: commits what the user saw (the removals and name matches
    shown, no others), and keeps the outcome to show in the next run. ``consent_key``: the
    checkbox that must be ticked first, when the import removes features."""
    try:
        user = author(Permission.IMPORT, "upload_user", kind)
    except BordermapError as error:
        st.session_state["upload_outcome"] = ("error", error_text(error, lang))
        return
    if consent_key is not None and not st.session_state.get(consent_key):
        st.session_state["upload_outcome"] = ("error", t("app.removal_needs_consent", lang))
        return
    try:
        with saved_upload(upload.name, upload.getvalue()) as path:
            done = import_file(path, kind, store, user=user, removals=shown.diff.removed,
                               matches=[(m.file_id, m.stored_id) for m in shown.matches], **options)
    except BordermapError as error:
        st.session_state["upload_outcome"] = ("error", error_text(error, lang))
        return
    if done.version is not None:
        st.session_state["upload_outcome"] = ("success", t("app.imported", lang, version=done.version.version,
                                                           kind=t(f"kinds.{kind}", lang)))
    else:
        st.session_state["upload_outcome"] = ("error", t("app.import_blocked", lang))


def rollback() -> None:
    """The rollback button's callback, so that the history drawn after it shows the new version."""
    target = int(st.session_state["rollback_version"])
    try:
        kind = next((v.kind for v in store.history() if v.version == target), None)
        user = author(Permission.ROLLBACK, "rollback_user", kind)
        done = store.rollback(target, user)
        st.session_state["rollback_outcome"] = ("success", t("app.rolled_back", lang, version=target,
                                                             new=done.version))
    except BordermapError as error:
        st.session_state["rollback_outcome"] = ("error", error_text(error, lang))


def decide(action: str, note_id: str) -> None:
    """Accept or dismiss the note shown when the button was pressed (a button callback, run with
    the name and crossing type as typed); the outcome is shown by the run that follows."""
    try:
        user = author(Permission.REVIEW_NOTES, "note_user", note_layer(store, note_id))
    except BordermapError as error:
        st.session_state["note_outcome"] = ("error", error_text(error, lang))
        return
    crossing_kind = st.session_state.get("note_crossing_kind") or "unofficial"
    try:
        if action == "dismiss":
            dismiss_note(store, note_id, user)
            st.session_state["note_outcome"] = ("success", t("app.note_dismissed", lang))
            return
        note, _ = accept_note(store, note_id, user, crossing_kind)
    except BordermapError as error:
        st.session_state["note_outcome"] = ("error", error_text(error, lang))
        return
    st.session_state["note_outcome"] = (("error", t("app.note_refused", lang)) if note is None else
                                        ("success", t("app.note_accepted", lang, version=note.version)))


def show_outcome(key: str) -> None:
    if (outcome := st.session_state.pop(key, None)) is not None:
        kind, message = outcome
        (st.success if kind == "success" else st.error)(message)


def upload_tab() -> None:
    show_outcome("upload_outcome")
    upload = st.file_uploader(t("app.upload_file", lang), type=UPLOAD_TYPES, key="upload_file")
    if upload is None:
        st.info(t("app.upload_hint", lang))
        return
    # every choice and consent belongs to this file: a new upload is proposed its own kind, and asks again
    file_key = f"upload_{upload.file_id}"
    cols = st.columns([1, 2])
    with cols[0]:
        kind = str(choose(st.selectbox, t("app.kind", lang), list(KINDS), f"{file_key}_kind",
                          lambda k: t(f"kinds.{k}", lang), default=guessed_kind(upload)))
    mode = "replace"  # a raster is replaced whole
    if not KINDS[kind].raster:
        with cols[1]:
            mode = str(choose(st.radio, t("app.import_mode", lang), MODES, f"{file_key}_mode",
                              lambda m: t(f"app.modes.{m}", lang), horizontal=True))
    fix = st.checkbox(t("app.fix", lang), key=f"{file_key}_fix", help=t("app.fix_help", lang))
    match_key = f"{file_key}_{kind}_{mode}_match"
    # removals are consented to below, where the diff shows them; the import removes no others
    options = {"fix": fix, "update": mode == "update", "match_names": st.session_state.get(match_key, False),
               "allow_removals": True}
    try:
        result = checked(upload, kind, options)
    except BordermapError as error:
        st.error(error_text(error, lang))
        return
    show_result(result)
    if result.matches:
        st.checkbox(t("app.match_names", lang, count=len(result.matches)), key=match_key,
                    help=t("app.match_names_help", lang))
    removed = len(result.diff.removed)
    consent_key = f"{file_key}_{kind}_{mode}_remove_{removed}" if removed else None
    if consent_key:
        st.checkbox(t("app.removal_consent", lang, count=len(result.diff.removed)), key=consent_key)
    if has_errors(result.findings):
        st.error(t("app.import_blocked", lang))
    elif result.unchanged:
        st.info(t("app.import_unchanged", lang))
    else:
        cols = st.columns([2, 1])
        name_field(cols[0], t("app.user", lang), "upload_user")
        cols[1].button(t(f"app.import_as.{mode}", lang), key="import_button", type="primary",
                       on_click=import_upload, args=(upload, kind, options, result, consent_key),
                       disabled=consent_key is not None and not st.session_state.get(consent_key))


def history_tab() -> None:
    show_outcome("rollback_outcome")
    versions = store.history()
    tables.text_table(pd.DataFrame({
        t("app.col.version", lang): [v.version for v in versions],
        t("app.kind", lang): [t(f"kinds.{v.kind}", lang) for v in versions],
        t("app.col.action", lang): [t(f"cli.action.{v.action}", lang) for v in versions],
        t("app.col.time", lang): [format_time(v.time, lang) for v in versions],
        t("app.col.user", lang): [v.user for v in versions],
        t("app.col.file", lang): [v.source_file for v in versions],
        t("app.col.features", lang): [v.features for v in versions],
        t("app.col.changes", lang): [f"+{len(v.added)} ~{len(v.changed)} −{len(v.removed)}"
                                     for v in versions],
    }).iloc[::-1])
    by_number = {v.version: v for v in versions}
    if viewer.may(Permission.ROLLBACK):
        cols = st.columns([3, 2, 2], vertical_alignment="bottom")
        with cols[0]:
            choose(st.selectbox, t("app.rollback_choose", lang), list(reversed(by_number)),
                   "rollback_version", lambda n: version_label(by_number[n]))
        name_field(cols[1], t("app.user", lang), "rollback_user")
        cols[2].button(t("app.rollback", lang), key="rollback_button", on_click=rollback)
    if viewer.may(Permission.IMPORT):
        project_ui.clear_section(store, data.layers(ctx.path, ctx.version), lang)


def notes_tab() -> None:
    show_outcome("note_outcome")
    found = notes(store)
    open_notes = [n for n in found if n.status == "open"]
    if open_notes:
        group = notes_layer(shown_notes(notes_frame(open_notes), data.levels(ctx.path), viewer), lang)
        fmap = data.base(ctx.path, ctx.version, lang, 0.6, None, notes=True)
        st_folium(fmap, key="notes_map", height=420, use_container_width=True, feature_group_to_add=group,
                  layer_control=layer_control(), returned_objects=[])
    if not found:
        st.info(t("app.no_notes", lang))
    else:
        tables.text_table(pd.DataFrame({
            t("app.col.id", lang): [n.note_id for n in found],
            t("app.col.time", lang): [format_time(n.created, lang) for n in found],
            t("app.note.author", lang): [n.author for n in found],
            t("app.note.organisation", lang): [n.organisation for n in found],
            t("app.note.country", lang): [n.country for n in found],
            t("app.note.kind", lang): [t(f"notes.kinds.{n.kind}", lang) for n in found],
            t("app.note.text", lang): [n.text for n in found],
            t("app.col.status", lang): [t(f"notes.status.{n.status}", lang) for n in found],
        }))
    if open_notes and viewer.may(Permission.REVIEW_NOTES):
        by_id = {n.note_id: n for n in open_notes}
        labels = {i: " — ".join((i, t(f"notes.kinds.{n.kind}", lang), n.author)) for i, n in by_id.items()}
        cols = st.columns([2, 1])
        with cols[0]:
            chosen = str(choose(st.selectbox, t("app.note_choose", lang), list(by_id), "note_choice",
                                labels.__getitem__))
        with cols[1]:
            crossing_kind = choose(st.selectbox, t("app.crossing_kind", lang), ["unofficial", "official"],
                                   "note_crossing_kind", lambda k: t(f"values.{k}", lang))
        note = by_id[chosen]
        st.markdown(md_text(note.text))
        preview = None
        if note.kind != "other":
            try:
                preview = preview_note(store, chosen, str(crossing_kind))
                st.caption(t("app.note_preview", lang))
                show_result(preview)
            except BordermapError as error:
                st.error(error_text(error, lang))
        cols = st.columns([2, 1, 1])
        name_field(cols[0], t("app.user", lang), "note_user")
        # the buttons act on the note shown when they were pressed (passed to the callback), never
        # on whichever note the list falls back to once that one is decided
        cols[1].button(t("app.note_accept", lang), key="note_accept", type="primary", on_click=decide,
                       args=("accept", chosen), help=t("app.note_accept_help", lang),
                       disabled=preview is None or has_errors(preview.findings))
        cols[2].button(t("app.note_dismiss", lang), key="note_dismiss", on_click=decide,
                       args=("dismiss", chosen))


def levels_tab() -> None:
    levels_ui.levels_tab(store, viewer, lang)


# the tabs of the viewer's rights; every tab runs (an uploaded file stays while the history is
# read); the check of a file is kept
TABS = (("app.upload", upload_tab, Permission.IMPORT), ("app.history", history_tab, Permission.VIEW),
        ("app.notes", notes_tab, Permission.VIEW), ("protection.levels_tab", levels_tab, Permission.IMPORT))
shown = [(title, draw) for title, draw, needs in TABS if viewer.may(needs)]
for tab, (_, draw) in zip(st.tabs([t(title, lang) for title, _ in shown]), shown, strict=True):
    with tab:
        draw()
