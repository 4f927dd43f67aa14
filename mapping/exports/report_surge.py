"""The report's surge scenario pages: for each saved scenario given, its inputs, its map, the
table per post reached and the posts that saturate first; with two or more, a comparison side
by side. Plain text from the catalogues, numbers formatted for the language; people are
whole persons, capacities people a day, days counted from the first day of departures (day 1).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..access.settings import TRAVEL_MODES
from ..access.surge import compare
from ..i18n import format_number, format_percent, t
from .access_parts import SurgeReport
from .report_content import Block, Heading, Image, Section, Table
from .report_map import ReportMaps
from .report_surge_map import surge_map

FIRST_SATURATED = 5  # posts named as saturating first


def _whole(value: Any, lang: str, empty: str) -> str:
    """A whole number in the language, or ``empty`` for a missing value."""
    return empty if value is None or pd.isna(value) else format_number(float(value), lang, 0)


def _inputs(report: SurgeReport, lang: str) -> Table:
    scenario = report.scenario
    mix = t("explain.separator", lang).join(
        t("report_access.surge.mode_share", lang, mode=t(f"access.mode.{mode}", lang),
          share=format_percent(scenario.mode_mix[mode], lang, 0))
        for mode in TRAVEL_MODES if scenario.mode_mix[mode] > 0)
    curve = t(f"report_access.curve.{scenario.curve}", lang)
    if scenario.curve == "peak":
        curve = t("report_access.curve.peak_day", lang, curve=curve,
                  day=scenario.peak_day or -(-scenario.days // 2))
    hours = format_number(scenario.max_travel_hours, lang, 1)
    choice = (t("report_access.surge.choice_one", lang, hours=hours) if scenario.choice_k == 1 else
              t("report_access.surge.choice_k", lang, k=scenario.choice_k, hours=hours,
                tau=format_number(scenario.choice_tau_minutes, lang, 0)))
    capacity = t("report_access.surge.capacity_rule", lang,
                 throughput=format_number(scenario.throughput_per_staff_hour, lang, 1),
                 hours=format_number(scenario.hours_per_day, lang, 1))
    rows = [("origin", report.origin.label or t("report.none", lang)),
            ("people", format_number(scenario.people, lang, 0)),
            ("days", format_number(scenario.days, lang, 0)),
            ("curve", curve), ("mode_mix", mix),
            ("unofficial_share", format_percent(scenario.unofficial_share, lang, 0)),
            ("choice", choice), ("capacity", capacity)]
    return Table(None, [[t(f"report_access.input.{key}", lang), value] for key, value in rows])


def _posts_table(report: SurgeReport, lang: str) -> Table:
    """The posts reached, most arrivals first."""
    summary = report.run.result.summary
    sources = report.run.sites.set_index(report.run.sites["site_id"].astype(str))["capacity_source"]
    posts = summary[(summary["site_kind"] == "post") & (summary["arrivals"] > 0)]
    posts = posts.sort_values("arrivals", ascending=False, kind="stable")
    never, open_ = t("report_access.surge.never", lang), t("report_access.surge.not_cleared", lang)
    rows = [[str(row["name"]), _whole(row["arrivals"], lang, "0"), _whole(row["capacity_per_day"], lang, "0"),
             t(f"surge.values.{sources.get(str(row['post_id']), 'assumed')}", lang),
             _whole(row["peak_queue"], lang, "0"), _whole(row["saturation_day"], lang, never),
             _whole(row["days_to_clear"], lang, open_)]
            for _, row in posts.iterrows()]
    headers = [t(f"report_access.col.{c}", lang) for c in ("post", "arrivals", "capacity", "source",
                                                           "peak_queue", "saturation_day", "days_to_clear")]
    return Table(headers, rows, frozenset({1, 2, 4, 5, 6}))


def _outcome(report: SurgeReport, lang: str) -> list[Block]:
    """The posts that saturate first, and the people at unofficial crossings or unreached."""
    result = report.run.result
    summary = result.summary.set_index("post_id")
    first = result.first_saturated[:FIRST_SATURATED]
    if first:
        names = t("explain.separator", lang).join(
            t("report_access.surge.saturates_on", lang, name=str(summary.at[p, "name"]),
              day=int(summary.at[p, "saturation_day"])) for p in first)
        blocks: list[Block] = [t("report_access.surge.first_saturated", lang, posts=names)]
    else:
        blocks = [t("report_access.surge.none_saturated", lang)]
    unofficial = summary[(summary["site_kind"] == "unofficial") & (summary["arrivals"] > 0)]
    if len(unofficial):
        blocks.append(t("report_access.surge.unofficial", lang,
                        people=format_number(float(unofficial["arrivals"].sum()), lang, 0),
                        count=len(unofficial)))
    unreached = sum(result.unreached.values())
    if unreached:
        blocks.append(t("report_access.surge.unreached", lang, people=format_number(unreached, lang, 0)))
    return blocks


def surge_section(report: SurgeReport, maps: ReportMaps) -> Section:
    """One scenario's page."""
    lang = maps.lang
    return Section(t("report_access.surge.title", lang, name=report.name), [
        t("report_access.surge.intro", lang), _inputs(report, lang),
        Image(surge_map(maps, report), t("report_access.surge.map_caption", lang), 17.0),
        *_outcome(report, lang),
        Heading(t("report_access.surge.posts", lang)), _posts_table(report, lang),
    ], new_page=True)


def comparison_section(reports: tuple[SurgeReport, ...], lang: str) -> Section:
    """The scenarios side by side: per site reached in any, each scenario's arrivals, day
    saturated and longest queue."""
    table = compare({r.name: r.run.result for r in reports})
    reached = (table.xs("arrivals", axis=1, level="measure").fillna(0) > 0).any(axis=1)
    table = table[reached]
    order = table.xs("arrivals", axis=1, level="measure").fillna(0).sum(axis=1).sort_values(ascending=False,
                                                                                         kind="stable")
    table = table.loc[order.index]
    never = t("report_access.surge.never", lang)
    measures = ("arrivals", "saturation_day", "peak_queue")
    rows = []
    for (_, name, kind), row in table.iterrows():
        site = name if kind == "post" else t("report_access.surge.crossing_name", lang, name=name)
        cells = []
        for report in reports:
            for measure in measures:
                value = row[(report.name, measure)]
                empty = "0" if measure == "arrivals" else never if kind == "post" else t("report.none", lang)
                cells.append(_whole(value, lang, empty))
        rows.append([site, *cells])
    headers = [t("report_access.col.site", lang),
               *(t(f"report_access.compare.{m}", lang, name=r.name) for r in reports for m in measures)]
    return Section(t("report_access.compare.title", lang), [
        t("report_access.compare.intro", lang, count=len(reports)),
        Table(headers, rows, frozenset(range(1, len(headers))))], new_page=True)


def surge_sections(reports: tuple[SurgeReport, ...], maps: ReportMaps) -> list[Section]:
    """A page per scenario, then the comparison when there are two or more."""
    sections = [surge_section(r, maps) for r in reports]
    if len(reports) > 1:
        sections.append(comparison_section(reports, maps.lang))
    return sections
