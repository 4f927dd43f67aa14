"""Delegate notes: a point on the map with a remark, kept in the layer store.

A delegate leaves a note during a workshop (a crossing the layers lack, a post drawn in
the wrong place, anything else). GIS staff then accept it, which goes through the normal
validated import path (``import_file``) so the change is versioned like any other, or
dismiss it. Notes never change a layer by themselves. Positions are EPSG:4326 degrees.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from ..errors import BordermapError
from .importing import ImportResult, diff_file, import_file
from .store import LayerStore, StoreTransaction, Version, now

COLLECTION = "notes"
NOTE_KINDS = ("new_crossing", "wrong_position", "other")
MAX_TEXT = 2000  # characters


class NoteError(BordermapError, ValueError):
    """A note that cannot be saved or decided; ``code`` names the message ``notes.<code>``."""

    section = "notes"


@dataclass(frozen=True)
class Note:
    """One delegate note. ``post_id``: the post a ``wrong_position`` note moves; ``place``:
    the name of a new crossing. Times are UTC ISO 8601."""

    note_id: str
    created: str
    author: str
    organisation: str
    country: str
    kind: str
    text: str
    lon: float
    lat: float
    post_id: str = ""
    place: str = ""
    status: str = "open"
    decided_by: str = ""
    decided_at: str = ""
    version: int | None = None  # the store version an accepted note created


def add_note(store: LayerStore, *, author: str, organisation: str, country: str, kind: str, text: str,
             lon: float, lat: float, post_id: str = "", place: str = "") -> Note:
    """Check and save a new open note; returns it."""
    author, text = author.strip(), text.strip()
    if not author:
        raise NoteError("no_author")
    if not text:
        raise NoteError("no_text")
    if kind not in NOTE_KINDS:
        raise NoteError("bad_kind", kind=kind)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise NoteError("bad_position", lon=lon, lat=lat)
    if kind == "wrong_position" and not post_id:
        raise NoteError("no_post")
    note = Note(uuid.uuid4().hex[:12], now(), author[:200], organisation.strip()[:200],
                country.strip().upper()[:3], kind, text[:MAX_TEXT], float(lon), float(lat),
                post_id, place.strip()[:200])
    store.save_record(COLLECTION, note.note_id, asdict(note))
    return note


def notes(store: LayerStore) -> list[Note]:
    """Saved notes, oldest first (status open, accepted or dismissed)."""
    return [Note(**data) for data in store.records(COLLECTION)]


def notes_frame(found: list[Note]) -> gpd.GeoDataFrame:
    """Notes as points (EPSG:4326), one column per field."""
    table = pd.DataFrame([asdict(n) for n in found], columns=list(Note.__dataclass_fields__))
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs=4326)


def _get(store: LayerStore, note_id: str) -> Note:
    note = next((n for n in notes(store) if n.note_id == note_id), None)
    if note is None:
        raise NoteError("unknown_note", note=note_id)
    if note.status != "open":
        raise NoteError("already_decided", note=note_id, status=note.status)
    return note


def _decide(store: LayerStore, tx: StoreTransaction, note_id: str, status: str, user: str,
            version: int | None = None) -> Note:
    """Write the open note ``note_id`` as decided within ``tx``, which holds the store's writer
    lock: the note is read as committed, so one decided meanwhile is refused (``already_decided``)."""
    note = replace(_get(store, note_id), status=status, decided_by=user, decided_at=now(), version=version)
    tx.save_record(COLLECTION, note.note_id, asdict(note))
    return note


def dismiss_note(store: LayerStore, note_id: str, user: str) -> Note:
    """Mark an open note as dismissed, in one transaction (the note is found open within it, so
    two reviewers never both decide it); no layer changes."""
    with store.transaction() as tx:
        note = _decide(store, tx, note_id, "dismissed", user)
    return note


NOTE_LAYERS = {"new_crossing": "crossings", "wrong_position": "posts"}  # the layer a note changes


def note_layer(store: LayerStore, note_id: str) -> str | None:
    """The layer kind accepting the note would change (None: a note that changes none)."""
    found = next((n for n in notes(store) if n.note_id == note_id), None)
    return None if found is None else NOTE_LAYERS.get(found.kind)


def _change(store: LayerStore, note: Note, crossing_kind: str) -> tuple[str, gpd.GeoDataFrame]:
    """The update the note asks for, as a layer of one feature: a new crossing, or a post's id
    with its new position (its other values stay as stored)."""
    point = shapely.Point(note.lon, note.lat)
    if note.kind == "new_crossing":
        crossing = {"crossing_id": f"NOTE-{note.note_id}", "name": note.place or None,
                    "kind": crossing_kind, "confidence": "low",
                    "last_observed": note.created[:10],
                    "source": f"delegate note {note.note_id} ({note.author}, {note.organisation})"}
        return "crossings", gpd.GeoDataFrame([crossing], geometry=[point], crs=4326)
    if note.kind == "wrong_position":
        if note.post_id not in store.ids("posts"):
            raise NoteError("unknown_post", post=note.post_id)
        return "posts", gpd.GeoDataFrame({"post_id": [note.post_id]}, geometry=[point], crs=4326)
    raise NoteError("nothing_to_accept")


def _apply(store: LayerStore, note_id: str, user: str | None, crossing_kind: str,
           along: Callable[[StoreTransaction, Version], None] | None = None) -> ImportResult:
    """The note's change through the validated import, as an update: checked only (``user``
    None) or committed, with ``along`` in the same transaction."""
    note = _get(store, note_id)
    kind, layer = _change(store, note, crossing_kind)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"note-{note.note_id}.gpkg"
        layer.to_file(path, layer=kind, driver="GPKG")
        if user is None:
            return diff_file(path, kind, store, update=True)
        return import_file(path, kind, store, user=user, update=True, along=along)


def preview_note(store: LayerStore, note_id: str, crossing_kind: str = "unofficial") -> ImportResult:
    """What accepting the note would change, and the findings of that change; changes nothing."""
    return _apply(store, note_id, None, crossing_kind)


def accept_note(store: LayerStore, note_id: str, user: str,
                crossing_kind: str = "unofficial") -> tuple[Note | None, ImportResult]:
    """Apply a note through the validated import path: a new crossing (``crossing_kind``) or a
    moved post, committed in one transaction with the note marked accepted (both land or
    neither). Returns the decided note, or None (the note stays open) when the import found
    errors, with the import result and its findings either way."""
    decided: list[Note] = []

    def accepted(tx: StoreTransaction, version: Version) -> None:
        decided.append(_decide(store, tx, note_id, "accepted", user, version.version))

    result = _apply(store, note_id, user, crossing_kind, accepted)
    return (decided[0] if decided else None), result
