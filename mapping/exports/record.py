"""The record every export carries: what was computed, from which layer versions, how.

``bordermap export --reproduce FILE`` reads it back from the file, recomputes the
ranking from the store with the same profile and reference date, and compares.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field

from .. import __version__
from ..layers.store import Version, now
from ..scoring.profile import Profile, profile_from_dict, profile_to_dict
from ..scoring.rank import Ranking
from ..scoring.selection import Selection
from ..scoring.shortlist import ShortlistLimits, ShortlistResult
from .access_parts import SurgeReport, from_entry, surge_entry, surge_table

RECORD_FORMAT = "bordermap-export-record/1"
# where each format keeps the record
RECORD_KEY = "bordermap_record"  # GeoPackage layer metadata, GeoJSON member, KML ExtendedData
HTML_RECORD_ID = "bordermap-record"  # <script type="application/json" id=...>
PDF_RECORD_KEY = "/BordermapRecord"  # PDF document information


@dataclass(frozen=True)
class ExportRecord:
    """Profile (as plain data), method, weights, layer versions (kind -> version number),
    software version, reference date, the posts ranked (``countries`` and ``borders`` of the
    selection; empty: every post), shortlist request (limits per country and per border), and
    the result: rank and score of each ranked post, its rehabilitation cost (USD; shortlists
    and budgets depend on it) and the shortlisted post ids; the surge scenarios shown
    (``access_parts.surge_entry``) and their tables (``access_parts.surge_table``); what was
    done to each sensitive layer (``precision``) and for whom (``exported_by``). Times
    are UTC (ISO 8601)."""

    software: str
    created: str
    lang: str
    profile: dict
    reference_date: str
    layer_versions: dict[str, int]
    ranks: dict[str, int]
    scores: dict[str, float]
    budget: float | None = None
    top_n: int | None = None
    min_per_country: dict[str, int] = field(default_factory=dict)
    max_per_country: dict[str, int] = field(default_factory=dict)
    min_per_border: dict[str, int] = field(default_factory=dict)
    max_per_border: dict[str, int] = field(default_factory=dict)
    countries: list[str] = field(default_factory=list)  # the selection: empty is every post
    borders: list[str] = field(default_factory=list)
    shortlist: list[str] = field(default_factory=list)
    costs: dict[str, float | None] = field(default_factory=dict)  # USD, per ranked post
    surges: dict[str, dict] = field(default_factory=dict)  # saved scenario name -> its numbers and origin
    surge_results: dict[str, dict[str, list[int | None]]] = field(default_factory=dict)  # -> its table
    # each sensitive layer kind -> "full", "coarsened" or "withheld" (protection.audit.treatment)
    precision: dict[str, str] = field(default_factory=dict)
    exported_by: str = ""  # the user the export was written for
    format: str = RECORD_FORMAT

    @property
    def method(self) -> str:
        return self.profile["method"]

    @property
    def weights(self) -> dict[str, float]:
        return {c["indicator"]: c["weight"] for c in self.profile["criteria"]}

    def scoring_profile(self) -> Profile:
        return profile_from_dict(self.profile)

    @property
    def selection(self) -> Selection:
        """The posts the export ranked (raises ``SelectionError`` on a damaged code)."""
        return Selection.of(self.countries, self.borders)

    def limits(self) -> ShortlistLimits:
        """The shortlist's limits per country and per border, as ``shortlist()`` takes them."""
        return {"min_per_country": self.min_per_country, "max_per_country": self.max_per_country,
                "min_per_border": self.min_per_border, "max_per_border": self.max_per_border}

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ExportRecord:
        """Raises ``ValueError``, ``TypeError`` or ``ProfileError`` when ``text`` is not a
        record this version can use."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != RECORD_FORMAT:
            raise ValueError("not a bordermap export record")
        record = cls(**data)
        dt.date.fromisoformat(record.reference_date)  # raises ValueError if not a date
        record.scoring_profile()  # raises ProfileError if the profile is not usable
        record.selection  # raises SelectionError if a country or border code is not one  # noqa: B018
        if not record.ranks or set(record.ranks) != set(record.scores):
            raise ValueError("ranks and scores missing or not matching")
        if set(record.surges) != set(record.surge_results):
            raise ValueError("surge scenarios and their tables not matching")
        for entry in record.surges.values():
            from_entry(entry)  # raises SurgeError, KeyError, ValueError or TypeError if damaged
        return record


def make_record(profile: Profile, lang: str, versions: list[Version], ranking: Ranking,
                chosen: ShortlistResult | None, *, reference_date: dt.date, budget: float | None = None,
                top_n: int | None = None, min_per_country: dict[str, int] | None = None,
                max_per_country: dict[str, int] | None = None,
                min_per_border: dict[str, int] | None = None,
                max_per_border: dict[str, int] | None = None,
                selection: Selection | None = None,
                surges: tuple[SurgeReport, ...] = (), precision: dict[str, str] | None = None,
                exported_by: str = "") -> ExportRecord:
    """The record of one export, created now."""
    selection = selection or Selection()
    table = ranking.table
    return ExportRecord(
        software=__version__,
        created=now(),
        lang=lang,
        profile=profile_to_dict(profile),
        reference_date=reference_date.isoformat(),
        layer_versions={v.kind: v.version for v in versions},
        ranks={str(k): int(v) for k, v in table["rank"].items()},
        scores={str(k): float(v) for k, v in table["score"].items()},
        budget=budget, top_n=top_n,
        min_per_country=dict(min_per_country or {}), max_per_country=dict(max_per_country or {}),
        min_per_border=dict(min_per_border or {}), max_per_border=dict(max_per_border or {}),
        countries=list(selection.countries), borders=list(selection.borders),
        shortlist=list(chosen.selected) if chosen else [],
        costs=_costs(table),
        surges={s.name: surge_entry(s.scenario, s.origin) for s in surges},
        surge_results={s.name: surge_table(s.run) for s in surges},
        precision=dict(precision or {}), exported_by=exported_by,
    )


def _costs(table) -> dict[str, float | None]:
    """Rehabilitation cost of each ranked post (USD), None where unknown."""
    if "rehab_cost_usd" not in table:
        return {}
    return {str(k): (float(v) if v == v else None) for k, v in table["rehab_cost_usd"].items()}
