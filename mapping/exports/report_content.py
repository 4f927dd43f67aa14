"""What the printed report says, in the bundle's language, independent of PDF or HTML.

:func:`report_content` turns an :class:`ExportBundle` into plain text (never markup: each
writer escapes it), tables and PNG maps. Every word comes from the catalogues; numbers and
dates are formatted for the language. Costs are in USD, distances in km.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .. import __version__
from ..i18n import catalogue, format_day, format_number, format_percent, t
from ..i18n.quantities import format_quantity, is_missing, unit_digits, value_word
from ..protection.grid import CELL_KM
from ..scoring.ahp import CR_LIMIT
from ..scoring.explain import label
from ..scoring.selection import BORDER_COLUMN, border_name
from .bundle import ExportBundle
from .report_map import ReportMaps
from .summary import country_names, summary


@dataclass(frozen=True)
class Table:
    """Rows of text; ``headers`` None for a two-column list of facts; ``numeric`` columns align right."""

    headers: list[str] | None
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Image:
    """A PNG map; ``width_cm`` is its printed width."""

    png: bytes
    caption: str
    width_cm: float


@dataclass(frozen=True)
class Pair:
    """Two blocks side by side (on a post's page: its facts and its inset map)."""

    left: Table
    right: Image


Block = str | Table | Heading | Image | Pair


@dataclass(frozen=True)
class Section:
    """A titled part of the report; ``new_page`` starts it on a new page (one per post)."""

    title: str
    blocks: list[Block]
    new_page: bool = False


@dataclass(frozen=True)
class ReportContent:
    lang: str
    title: str
    subject: str
    author: str
    intro: list[str]
    sections: list[Section] = field(default_factory=list)
    record_json: str = ""


def _number(value: Any, lang: str, unit: str = "count") -> str:
    """A number with the fixed decimals of ``unit`` (``usd``: 0, ``score``: 3), without the
    unit's words (the column title gives them), or "no data"."""
    if is_missing(value):
        return t("quantity.missing", lang)
    return format_number(float(value), lang, unit_digits(unit), fixed=True)


def _percent(share: float, lang: str, digits: int = 1) -> str:
    return format_percent(float(share), lang, digits, fixed=True)


@cache
def _demo_sources() -> dict[str, str]:
    """The English demo source texts -> their catalogue keys."""
    return {text: key for key, text in catalogue("en").items()
            if key.startswith("sources.") and key != "sources.counted"}


def source_text(text: str, lang: str) -> str:
    """A layer's source text in ``lang`` when it is one of the demo's; otherwise as written."""
    key = _demo_sources().get(text)
    return t(key, lang) if key else text


def sources_text(counts: dict[str, int], lang: str) -> str:
    """A layer's source texts, each once, with the number of its features when there are several."""
    if len(counts) == 1:
        return source_text(next(iter(counts)), lang)
    return t("explain.separator", lang).join(t("sources.counted", lang, source=source_text(text, lang),
                                               count=count) for text, count in counts.items())


class _Builder:
    def __init__(self, bundle: ExportBundle, maps: ReportMaps) -> None:
        self.bundle = bundle
        self.lang = bundle.lang
        self.maps = maps
        self.countries = country_names(bundle)
        self.posts = bundle.posts
        self.units = bundle.indicators.attrs.get("units", {})

    def t(self, key: str, **params: object) -> str:
        return t(key, self.lang, **params)

    def country(self, iso3: str) -> str:
        return self.countries.get(iso3, iso3)

    def chosen_ids(self) -> list[str]:
        shortlist = self.bundle.shortlist
        if shortlist is not None:
            return list(shortlist.selected)
        return list(self.posts.index[: self.bundle.profile.top_n])

    def overview(self) -> Section:
        caption = self.t("report.map.caption")
        travel = self.bundle.travel
        if travel is not None:
            caption += " " + self.t("report_access.travel.caption",
                                    mode=self.t(f"access.mode.{travel.surface.mode}"),
                                    season=self.t(f"report_access.season.{self.bundle.profile.access.season}"))
        if self.bundle.travel_withheld:
            caption += " " + self.t("protection_more.travel_hidden")
        if set(self.bundle.record.precision.values()) - {"full"}:  # a sensitive layer coarsened or left out
            caption += " " + self.t("protection.coarse_note", cell=CELL_KM)
        return Section(self.t("report.map.title"), [Image(self.maps.overview(), caption, 17.0)])

    def shortlist(self) -> Section:
        shortlist, lang = self.bundle.shortlist, self.lang
        ids = self.chosen_ids()
        rows = [[str(int(self.posts.at[i, "rank"])), str(self.posts.at[i, "name"]),
                 self.country(self.posts.at[i, "iso3"]), value_word(str(self.posts.at[i, "status"]), lang),
                 _number(self.posts.at[i, "score"], lang, "score"),
                 _number(self.posts.at[i, "rehab_cost_usd"], lang, "usd")]
                for i in ids]
        table = Table([self.t(f"report.col.{c}") for c in ("rank", "post", "country", "status", "score",
                                                            "cost")], rows, frozenset({0, 4, 5}))
        if shortlist is None:
            count = len(ids)
            return Section(self.t("report.shortlist.top_title", count=count),
                           [self.t("report.shortlist.top_note", count=count), table])
        blocks: list[Block] = [self.t("report.shortlist.optimal" if shortlist.status == "optimal"
                                      else "report.shortlist.ranked"), table]
        total = _number(shortlist.total_cost, lang, "usd")
        if shortlist.budget is not None:
            blocks.append(self.t("report.shortlist.budget", total=total,
                                 budget=_number(shortlist.budget, lang, "usd"),
                                 left=_number(shortlist.budget_left, lang, "usd")))
        else:
            blocks.append(self.t("report.shortlist.total", total=total))
        constraints = self.constraints()
        if constraints:
            blocks.append(self.t("report.shortlist.constraints", constraints=constraints))
        if shortlist.cost_unknown:
            names = ", ".join(str(self.posts.at[i, "name"]) for i in shortlist.cost_unknown)
            blocks.append(self.t("report.shortlist.cost_unknown", names=names))
        if shortlist.excluded_missing_cost:
            names = ", ".join(str(self.posts.at[i, "name"]) for i in shortlist.excluded_missing_cost)
            blocks.append(self.t("report.shortlist.no_cost_left_out", names=names))
        return Section(self.t("report.shortlist.title"), blocks)

    def constraints(self) -> str:
        """The shortlist's limits other than the budget: posts in all, per-country and
        per-border minimums and maximums, in words ("" when there are none)."""
        record = self.bundle.record
        parts = [self.t("report.shortlist.top_n", count=record.top_n)] if record.top_n else []
        parts += [self.t("report.shortlist.at_least", country=self.country(iso3), count=count)
                  for iso3, count in sorted(record.min_per_country.items())]
        parts += [self.t("report.shortlist.at_most", country=self.country(iso3), count=count)
                  for iso3, count in sorted(record.max_per_country.items())]
        parts += [self.t("report.shortlist.at_least", country=self.border(border), count=count)
                  for border, count in sorted(record.min_per_border.items())]
        parts += [self.t("report.shortlist.at_most", country=self.border(border), count=count)
                  for border, count in sorted(record.max_per_border.items())]
        return t("explain.separator", self.lang).join(parts)

    def border(self, border: str) -> str:
        return border_name(border, self.countries)

    def summaries(self) -> Section:
        """Posts ranked, their cost, and the posts shortlisted with their cost (USD), per
        country and per border served, each table with its total."""
        blocks: list[Block] = [self.t("report.summary.text")]
        for by, heading, first in (("iso3", "report.summary.countries", "country"),
                                   (BORDER_COLUMN, "report.summary.borders", "border")):
            table = summary(self.bundle, by)
            columns = [c for c in ("posts", "cost_usd", "shortlisted_posts", "shortlist_cost_usd")
                       if c in table]
            units = {"posts": "count", "shortlisted_posts": "count"}
            rows = [[str(row["label"]) if not row["code"] else f"{row['label']} ({row['code']})",
                     *[_number(row[c], self.lang, units.get(c, "usd")) for c in columns]]
                    for _, row in table.iterrows()]
            rows.append([self.t("report.summary.total"),
                         *[_number(table[c].sum(), self.lang, units.get(c, "usd")) for c in columns]])
            headers = [self.t(f"report.col.{first}"), *[self.t(f"export.col.{c}") for c in columns]]
            blocks += [Heading(self.t(heading)),
                       Table(headers, rows, frozenset(range(1, len(columns) + 1)))]
        return Section(self.t("report.summary.title"), blocks)

    def border_maps(self) -> Section | None:
        """One map per border served by ranked posts, fitted to its posts; None without any."""
        if BORDER_COLUMN not in self.posts:
            return None
        served = self.posts[BORDER_COLUMN].dropna()
        blocks: list[Block] = []
        for border in sorted(set(served)):
            ids = list(served.index[served == border])
            blocks.append(Image(self.maps.border(ids),
                                self.t("report.borders.caption", border=self.border(border), count=len(ids)),
                                17.0))
        return Section(self.t("report.borders.title"), blocks, new_page=True) if blocks else None

    def method(self) -> Section:
        profile, lang = self.bundle.profile, self.lang
        method = self.t(f"app.methods.{profile.method}")
        rows = [[label(c.indicator, lang), self.t(f"report.method.{c.direction}"),
                 _percent(c.weight, lang)]
                for c in profile.criteria]
        blocks: list[Block] = [
            self.t("report.method.summary", method=method),
            *([] if self.bundle.selection.everything else
              [self.t("selection.normalised",
                      selection=self.bundle.selection.describe(lang, self.countries))]),
            Table([self.t(f"report.col.{c}") for c in ("criterion", "direction", "weight")],
                  rows, frozenset({2})),
            self.t("report.method.radius",
                   radius=float(profile.indicator_settings.get("radius_km", self.maps.radius_km))),
        ]
        distortion = self.bundle.indicators.attrs.get("max_scale_distortion")
        if distortion is not None:
            blocks.append(self.t("report.method.distortion", percent=_percent(distortion, lang, 2),
                                 radius=float(profile.indicator_settings.get("radius_km",
                                                                             self.maps.radius_km))))
        if profile.ahp is not None:
            limit = format_number(CR_LIMIT, lang, 2)
            blocks.append(self.t("report.method.ahp", ratio=format_number(profile.ahp.consistency_ratio,
                                                                          lang, 3), limit=limit))
            if not profile.ahp.consistent:
                blocks.append(self.t("report.method.ahp_inconsistent", limit=limit))
        excluded = self.bundle.results[self.bundle.results["rank"].isna()]
        if len(excluded):
            blocks += [Heading(self.t("report.method.excluded")),
                       Table([self.t("report.col.post"), self.t("report.col.country"),
                              self.t("report.col.reason")],
                             [[str(row.get("name", post_id)), self.country(row.get("iso3", "")),
                               str(row["excluded"])] for post_id, row in excluded.iterrows()])]
        return Section(self.t("report.method.title"), blocks)

    def sensitivity(self) -> Section:
        lang, top_n = self.lang, min(self.bundle.profile.top_n, len(self.posts))
        table = self.bundle.sensitivity
        rows = [[str(int(self.posts.at[i, "rank"])), str(self.posts.at[i, "name"]),
                 self.t("report.post.interval", low=int(table.at[i, "rank_p05"]),
                        high=int(table.at[i, "rank_p95"])),
                 format_number(float(table.at[i, "rank_median"]), lang, 1, fixed=True),
                 _percent(table.at[i, "p_top_n"], lang, 0)]
                for i in self.posts.index[:top_n]]
        headers = [self.t("report.col.rank"), self.t("report.col.post"), self.t("report.col.interval"),
                   self.t("report.col.median"), self.t("report.col.p_top", count=top_n)]
        return Section(self.t("report.sensitivity.title"),
                       [self.t("report.sensitivity.text", count=top_n),
                        Table(headers, rows, frozenset({0, 3, 4}))])

    def sources(self) -> Section:
        lang = self.lang
        rows = []
        for version in self.bundle.versions:
            sources = self.bundle.sources.get(version.kind, {})
            rows.append([t(f"kinds.{version.kind}", lang), str(version.version),
                         format_day(dt.datetime.fromisoformat(version.time).date(), lang), version.user,
                         version.source_file, version.sha256[:12], _number(version.features, lang),
                         sources_text(sources, lang) if sources else t("report.none", lang)])
        headers = [self.t(f"report.col.{c}") for c in ("layer", "version", "date", "user", "source_file",
                                                        "checksum", "features", "sources")]
        return Section(self.t("report.sources.title"),
                       [self.t("report.sources.text"), Table(headers, rows, frozenset({1, 6}))])

    def post(self, post_id: str) -> Section:
        lang, row = self.lang, self.posts.loc[post_id]
        weights = {c.indicator: c.weight for c in self.bundle.profile.criteria}
        sens = self.bundle.sensitivity.loc[post_id]
        facts = Table(None, [
            [self.t("report.col.country"), self.country(row["iso3"])],
            [self.t("report.col.status"), value_word(str(row["status"]), lang)],
            [self.t("report.col.score"), _number(row["score"], lang, "score")],
            [self.t("report.col.interval"), self.t("report.post.interval", low=int(sens["rank_p05"]),
                                                   high=int(sens["rank_p95"]))],
            [self.t("report.col.cost"), _number(row.get("rehab_cost_usd"), lang, "usd")],
        ])
        shown = [c for c in self.bundle.indicators.columns if c in self.units and c in row]
        indicators = Table(
            [self.t("report.col.indicator"), self.t("report.col.value"), self.t("report.post.criterion")],
            [[label(c, lang), format_quantity(row[c], self.units.get(c), lang),
              _percent(weights[c], lang)
              if c in weights else self.t("report.none")] for c in shown],
            frozenset({1, 2}))
        inset = Image(self.maps.inset(post_id), self.t("report.post.map_caption", radius=self.maps.radius_km),
                      7.5)
        return Section(f"{int(row['rank'])}. {row['name']}", [
            Pair(facts, inset),
            Heading(self.t("report.post.indicators")), indicators,
            Heading(self.t("report.post.why")), str(row["explanation"]),
        ], new_page=True)


def report_content(bundle: ExportBundle) -> ReportContent:
    """Everything the report shows: overview pages (the map of every post, the shortlist, the
    summaries per country and per border, one map per border, method, sensitivity, sources),
    a page per surge scenario (and their comparison), then one section per shortlisted post."""
    builder = _Builder(bundle, ReportMaps(bundle))
    lang, profile = bundle.lang, bundle.profile
    created = dt.datetime.fromisoformat(bundle.record.created).date()
    method = t(f"app.methods.{profile.method}", lang)
    intro = [t("report.made_on", lang, date=created, version=__version__),
             t("report.reference", lang, profile=profile.name, method=method,
               date=dt.date.fromisoformat(bundle.record.reference_date)),
             t("report.selection", lang, selection=bundle.selection.describe(lang, builder.countries))]
    parts = [builder.overview(), builder.shortlist(), builder.summaries(), builder.border_maps(),
             builder.method(), builder.sensitivity(), builder.sources()]
    sections = [section for section in parts if section is not None]
    if bundle.surges:
        from .report_surge import surge_sections  # it builds on this module's blocks

        sections += surge_sections(bundle.surges, builder.maps)
    sections += [builder.post(post_id) for post_id in builder.chosen_ids()]
    return ReportContent(lang, t("report.title", lang), t("report.subject", lang), t("report.author", lang),
                         intro, sections, bundle.record.to_json())
