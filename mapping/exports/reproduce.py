"""``bordermap export --reproduce FILE``: read an export's record back, recompute the ranking
and shortlist from the store with the recorded profile, reference date, selection of
countries and borders, and shortlist limits, run the recorded surge scenarios again, and
compare.

The record is read from every format: CSV from its sidecar ``<name>.record.json``, XLSX
from its hidden sheet, GeoPackage from the layer metadata, GeoJSON from the collection's
member, KML/KMZ from the Document's ExtendedData, HTML from the
``<script type="application/json" id="bordermap-record">`` element, PDF from the document
information key ``/BordermapRecord``. Scores are compared to ``SCORE_TOLERANCE``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from .. import __version__
from ..errors import BordermapError
from ..layers.store import LayerStore
from ..protection.audit import recorded_view
from ..protection.shown import shown_run
from ..scoring.pipeline import rank_store
from ..scoring.shortlist import ShortlistError, shortlist
from .access_parts import RECORDED, run_entry, surge_table
from .bundle import current_versions
from .csv_table import record_path
from .errors import ExportError
from .gis import read_geojson_record, read_gpkg_record
from .kml import read_kml_record
from .record import HTML_RECORD_ID, PDF_RECORD_KEY, ExportRecord
from .workbook import read_xlsx_record
from .write import export_format

SCORE_TOLERANCE = 1e-9


class _RecordScript(HTMLParser):
    """Collects the text of ``<script id="bordermap-record">``."""

    def __init__(self) -> None:
        super().__init__()
        self.inside: bool = False
        self.text: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and dict(attrs).get("id") == HTML_RECORD_ID:
            self.inside, self.text = True, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside and self.text is not None:
            self.text += data


def _html_record(path: Path) -> str | None:
    parser = _RecordScript()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.text


def _pdf_record(path: Path) -> str | None:
    from pypdf import PdfReader

    metadata: Mapping[str, object] = PdfReader(path).metadata or {}
    value = metadata.get(PDF_RECORD_KEY)
    return str(value) if value is not None else None


def _csv_record(path: Path) -> str | None:
    sidecar = record_path(path)
    return sidecar.read_text(encoding="utf-8") if sidecar.exists() else None


READERS = {"csv": _csv_record, "xlsx": read_xlsx_record, "gpkg": read_gpkg_record,
           "geojson": read_geojson_record, "kml": read_kml_record, "kmz": read_kml_record,
           "html": _html_record, "pdf": _pdf_record}


def read_record(path: str | Path) -> ExportRecord:
    """The record an export carries; :class:`ExportError` (``no_record``) when it has none,
    (``bad_record``) when it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise ExportError("no_file", file=str(path))
    reader = READERS[export_format(path)]
    try:
        text = reader(path)
    except Exception as error:  # any file may be given: corrupt, foreign, truncated
        raise ExportError("bad_record", file=path.name, detail=type(error).__name__) from None
    if not text:
        raise ExportError("no_record", file=path.name)
    try:
        return ExportRecord.from_json(text)
    except (ValueError, TypeError, KeyError, BordermapError) as error:
        detail = error.message("en") if isinstance(error, BordermapError) else type(error).__name__
        raise ExportError("bad_record", file=path.name, detail=detail[:200]) from None


@dataclass(frozen=True)
class Move:
    """One post whose result changed: ranks (None: not ranked) and scores."""

    post_id: str
    name: str
    old_rank: int | None
    new_rank: int | None
    old_score: float | None = None
    new_score: float | None = None


@dataclass(frozen=True)
class SurgeChange:
    """One figure of a recorded surge scenario's table that differs now (None: empty, or the
    site not reached)."""

    scenario: str
    post_id: str
    name: str
    measure: str  # one of access_parts.RECORDED
    old: int | None
    new: int | None


@dataclass(frozen=True)
class Reproduction:
    """The comparison of a recorded export with the store now.

    ``layers``: kind -> (version at export, version now), for the layers whose version
    differs (None: absent). ``moved``: posts ranked both times whose rank or score changed;
    ``appeared`` / ``disappeared``: posts ranked only now / only at export; shortlist posts
    ``shortlist_added`` / ``shortlist_removed``; ``costs``: (post, name, cost at export, cost
    now) for posts ranked both times whose rehabilitation cost (USD) changed; ``surges``:
    the figures of the recorded surge scenarios' tables that differ when run again.
    """

    record: ExportRecord
    software: str
    layers: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    moved: list[Move] = field(default_factory=list)
    appeared: list[Move] = field(default_factory=list)
    disappeared: list[Move] = field(default_factory=list)
    shortlist_added: list[str] = field(default_factory=list)
    shortlist_removed: list[str] = field(default_factory=list)
    shortlist_error: str | None = None
    costs: list[tuple[str, str, float | None, float | None]] = field(default_factory=list)
    surges: list[SurgeChange] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        """Same ranks, scores, costs, shortlist and surge tables (layer versions may differ
        with the same result)."""
        return not (self.moved or self.appeared or self.disappeared or self.shortlist_added
                    or self.shortlist_removed or self.shortlist_error or self.costs or self.surges)


def _names(store: LayerStore) -> dict[str, str]:
    posts = store.read("posts")
    if posts is None or "name" not in posts:
        return {}
    pairs = zip(posts["post_id"], posts["name"], strict=True)
    return {str(k): v for k, v in pairs if isinstance(v, str) and v}


def reproduce(path: str | Path, store: LayerStore, lang: str = "en") -> Reproduction:
    """Recompute the export at ``path`` from ``store`` and compare (see :class:`Reproduction`).

    ``lang`` is the language of shortlist failure messages."""
    record = read_record(path)
    day = dt.date.fromisoformat(record.reference_date)
    ranking = rank_store(store, record.scoring_profile(), day, record.selection)[1]
    table = ranking.table
    new_ranks = {str(k): int(v) for k, v in table["rank"].items()}
    new_scores = {str(k): float(v) for k, v in table["score"].items()}
    names = _names(store)

    def move(post: str) -> Move:
        return Move(post, names.get(post, post), record.ranks.get(post), new_ranks.get(post),
                    record.scores.get(post), new_scores.get(post))

    moved = [move(p) for p in record.ranks if p in new_ranks
             and (record.ranks[p] != new_ranks[p]
                  or abs(record.scores[p] - new_scores[p]) > SCORE_TOLERANCE)]
    now = {v.kind: v.version for v in current_versions(store)}
    layers = {kind: (record.layer_versions.get(kind), now.get(kind))
              for kind in sorted(set(now) | set(record.layer_versions))
              if record.layer_versions.get(kind) != now.get(kind)}
    added: list[str] = []
    removed: list[str] = []
    error = None
    if record.budget is not None or record.top_n is not None:
        try:
            chosen = shortlist(table.reset_index(), budget=record.budget, top_n=record.top_n,
                               **record.limits()).selected
        except ShortlistError as failure:
            error, chosen = failure.message(lang), []
        added = [p for p in chosen if p not in record.shortlist]
        removed = [p for p in record.shortlist if p not in chosen]
    new_costs = {str(k): (None if v != v else float(v)) for k, v in table["rehab_cost_usd"].items()} \
        if "rehab_cost_usd" in table else {}
    costs = [(p, names.get(p, p), record.costs.get(p), new_costs.get(p)) for p in record.costs
             if p in new_ranks and record.costs.get(p) != new_costs.get(p)]
    return Reproduction(
        record, __version__, layers, sorted(moved, key=lambda m: m.new_rank or 0),
        sorted((move(p) for p in new_ranks if p not in record.ranks), key=lambda m: m.new_rank or 0),
        sorted((move(p) for p in record.ranks if p not in new_ranks), key=lambda m: m.old_rank or 0),
        added, removed, error, costs, _surge_changes(record, store))


def _surge_changes(record: ExportRecord, store: LayerStore) -> list[SurgeChange]:
    """Run each recorded surge scenario again, shown as the export showed it (its sites by
    cell when crossings were coarsened: ``record.precision``), and list the figures that differ."""
    changes = []
    profile = record.scoring_profile()
    levels, viewer = recorded_view(record.precision)
    for name, entry in record.surges.items():
        run = shown_run(run_entry(store, profile, name, entry).run, levels, viewer)
        now, then = surge_table(run), record.surge_results.get(name, {})
        names = dict(zip(run.sites["site_id"].astype(str), run.sites["name"], strict=True))
        for site in sorted(set(now) | set(then)):
            new, old = now.get(site, [None] * len(RECORDED)), then.get(site, [None] * len(RECORDED))
            changes += [SurgeChange(name, site, str(names.get(site, site)), measure, a, b)
                        for measure, a, b in zip(RECORDED, old, new, strict=True) if a != b]
    return changes

