"""What the printed report says, in the bundle's language, independent of PDF or HTML.

:func:`report_content` turns an :class:`ExportBundle` into plain text (never markup: each
writer escapes it), tables and PNG maps. Every word comes from the catalogues; numbers and
dates are formatted for the language. Costs are in USD, distances in km.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .. import __version__
from ..i18n import catalogue, format_day, format_number, t
from ..scoring.ahp import CR_LIMIT
from ..scoring.explain import label
from .bundle import ExportBundle
from .report_map import ReportMaps


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


def _number(value: Any, lang: str, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return t("report.missing", lang)
    return format_number(float(value), lang, digits)


def _country_names(bundle: ExportBundle) -> dict[str, str]:
    countries = bundle.layers.get("countries")
    column = f"name_{bundle.lang}"
    if countries is None or column not in countries:
        return {}
    return dict(zip(countries["iso3"], countries[column], strict=True))


def _status(value: object, lang: str) -> str:
    key = f"values.{value}"
    try:
        return t(key, lang)
    except KeyError:
        return str(value)


def _with_unit(value: Any, unit: str | None, lang: str) -> str:
    """An indicator value with its unit (catalogue ``report.unit.<unit>``)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return t("report.missing", lang)
    if isinstance(value, str):
        return _status(value, lang)
    if unit == "yes_no":
        return t("report.yes" if float(value) >= 0.5 else "report.no", lang)
    digits = 0 if unit in ("persons", "count", "usd") else 1
    text = format_number(round(float(value), digits), lang, digits)
    key = f"report.unit.{unit}"
    return t(key, lang, value=text) if unit and key in catalogue(lang) else text


class _Builder:
    def __init__(self, bundle: ExportBundle, maps: ReportMaps) -> None:
        self.bundle = bundle
        self.lang = bundle.lang
        self.maps = maps
        self.countries = _country_names(bundle)
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
        return Section(self.t("report.map.title"),
                       [Image(self.maps.overview(), self.t("report.map.caption"), 17.0)])

    def shortlist(self) -> Section:
        shortlist, lang = self.bundle.shortlist, self.lang
        ids = self.chosen_ids()
        rows = [[str(int(self.posts.at[i, "rank"])), str(self.posts.at[i, "name"]),
                 self.country(self.posts.at[i, "iso3"]), _status(self.posts.at[i, "status"], lang),
                 _number(self.posts.at[i, "score"], lang, 3),
                 _number(self.posts.at[i, "rehab_cost_usd"], lang)]
                for i in ids]
        table = Table([self.t(f"report.col.{c}") for c in ("rank", "post", "country", "status", "score",
                                                            "cost")], rows, frozenset({0, 4, 5}))
        if shortlist is None:
            count = len(ids)
            return Section(self.t("report.shortlist.top_title", count=count),
                           [self.t("report.shortlist.top_note", count=count), table])
        blocks: list[Block] = [self.t("report.shortlist.optimal" if shortlist.status == "optimal"
                                      else "report.shortlist.ranked"), table]
        total = _number(shortlist.total_cost, lang)
        if shortlist.budget is not None:
            blocks.append(self.t("report.shortlist.budget", total=total,
                                 budget=_number(shortlist.budget, lang),
                                 left=_number(shortlist.budget_left, lang)))
        else:
            blocks.append(self.t("report.shortlist.total", total=total))
        if shortlist.cost_unknown:
            names = ", ".join(str(self.posts.at[i, "name"]) for i in shortlist.cost_unknown)
            blocks.append(self.t("report.shortlist.cost_unknown", names=names))
        if shortlist.excluded_missing_cost:
            names = ", ".join(str(self.posts.at[i, "name"]) for i in shortlist.excluded_missing_cost)
            blocks.append(self.t("report.shortlist.no_cost_left_out", names=names))
        return Section(self.t("report.shortlist.title"), blocks)

    def method(self) -> Section:
        profile, lang = self.bundle.profile, self.lang
        method = self.t(f"app.methods.{profile.method}")
        rows = [[label(c.indicator, lang), self.t(f"report.method.{c.direction}"),
                 t("report.unit.percent", lang, value=format_number(100 * c.weight, lang, 1))]
                for c in profile.criteria]
        blocks: list[Block] = [
            self.t("report.method.summary", method=method),
            Table([self.t(f"report.col.{c}") for c in ("criterion", "direction", "weight")],
                  rows, frozenset({2})),
            self.t("report.method.radius",
                   radius=float(profile.indicator_settings.get("radius_km", self.maps.radius_km))),
        ]
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
                 format_number(float(table.at[i, "rank_median"]), lang, 1),
                 t("report.unit.percent", lang, value=format_number(100 * table.at[i, "p_top_n"], lang, 0))]
                for i in self.posts.index[:top_n]]
        headers = [self.t("report.col.rank"), self.t("report.col.post"), self.t("report.col.interval"),
                   self.t("report.col.median"), self.t("report.col.p_top", count=top_n)]
        return Section(self.t("report.sensitivity.title"),
                       [self.t("report.sensitivity.text", count=top_n),
                        Table(headers, rows, frozenset({0, 3, 4}))])

    def sources(self) -> Section:
        lang, layers = self.lang, self.bundle.layers
        rows = []
        for version in self.bundle.versions:
            layer = layers.get(version.kind)
            sources = sorted({str(s) for s in layer["source"].dropna()}) \
                if layer is not None and "source" in layer else []
            rows.append([t(f"kinds.{version.kind}", lang), str(version.version),
                         format_day(dt.datetime.fromisoformat(version.time).date(), lang), version.user,
                         version.source_file, version.sha256[:12], _number(version.features, lang),
                         ", ".join(sources)])
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
            [self.t("report.col.status"), _status(row["status"], lang)],
            [self.t("report.col.score"), _number(row["score"], lang, 3)],
            [self.t("report.col.interval"), self.t("report.post.interval", low=int(sens["rank_p05"]),
                                                   high=int(sens["rank_p95"]))],
            [self.t("report.col.cost"), _number(row.get("rehab_cost_usd"), lang)],
        ])
        shown = [c for c in self.bundle.indicators.columns if c in self.units and c in row]
        indicators = Table(
            [self.t("report.col.indicator"), self.t("report.col.value"), self.t("report.post.criterion")],
            [[label(c, lang), _with_unit(row[c], self.units.get(c), lang),
              t("report.unit.percent", lang, value=format_number(100 * weights[c], lang, 1))
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
    """Everything the report shows: overview pages, then one section per shortlisted post."""
    builder = _Builder(bundle, ReportMaps(bundle))
    lang, profile = bundle.lang, bundle.profile
    created = dt.datetime.fromisoformat(bundle.record.created).date()
    method = t(f"app.methods.{profile.method}", lang)
    intro = [t("report.made_on", lang, date=created, version=__version__),
             t("report.reference", lang, profile=profile.name, method=method,
               date=dt.date.fromisoformat(bundle.record.reference_date))]
    sections = [builder.overview(), builder.shortlist(), builder.method(), builder.sensitivity(),
                builder.sources()]
    sections += [builder.post(post_id) for post_id in builder.chosen_ids()]
    return ReportContent(lang, t("report.title", lang), t("report.subject", lang), t("report.author", lang),
                         intro, sections, bundle.record.to_json())
