"""The Scenario page's parts: where displaced people leave from, the numbers of the surge, and
what it does to the posts (headline, map, tables, day by day), saved and compared.

Every widget keeps its value across reruns, pages and languages: numbers under the keys of
``KEPT`` (carried over by ``controls.keep_page_settings``), choices by ``choices.choose``.
Positions are in EPSG:4326 (degrees); distances in km; capacities in people a day.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from ..access.routing import Origin, origin_around, origin_from_file, parse_lon_lat
from ..access.run import SurgeRun, used_modes
from ..access.saved import save_surge, saved_surges
from ..access.scenario import CURVES, MAX_DAYS, MAX_PEOPLE, SurgeError, SurgeScenario
from ..access.settings import TRAVEL_MODES
from ..access.surge import COMPARED, SurgeResult, column_labels, compare
from ..accounts.roles import Permission
from ..errors import BordermapError
from ..i18n import format_number, format_percent, t
from ..layers.uploads import saved_upload
from ..maps import fit_view, layer_control, nearest_post
from ..surge_map import legend_rows, surge_bounds, surge_layer
from ..tables import csv_options, inert_table, xlsx_bytes
from . import charts, data, error_text, format_time, md_text, tables
from .choices import choose, choose_many
from .viewer import acting

DEFAULTS = SurgeScenario()
ORIGIN_KINDS = ("settlement", "coordinates", "map", "file")
ORIGIN_FILE_TYPES = ["geojson", "json", "gpkg", "kml", "kmz", "zip"]
# the numbers, kept across pages (``controls.PAGE_SETTINGS``): key -> default
NUMBERS: dict[str, Any] = {
           "scenario_people": DEFAULTS.people, "scenario_days": DEFAULTS.days, "scenario_peak_day": None,
           "scenario_unofficial": round(DEFAULTS.unofficial_share * 100), "scenario_k": DEFAULTS.choice_k,
           "scenario_throughput": DEFAULTS.throughput_per_staff_hour,
           "scenario_hours": DEFAULTS.hours_per_day,
           "scenario_radius": 10, "scenario_lon_lat": ""}
NUMBERS |= {f"scenario_mix_{mode}": round(share * 100) for mode, share in DEFAULTS.mode_mix.items()}
KEPT = (*NUMBERS, "scenario_name")
CLICKED = "scenario_clicked"  # (lon, lat) of the last click on the map, in origin "map" mode
MAP_HEIGHT = 560  # pixels
FORMATS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


# ------------------------------------------------------------------ what the inputs mean
def settlement_labels(settlements: gpd.GeoDataFrame) -> dict[str, str]:
    """Placed settlements (id -> "name (ISO3)"), by name."""
    placed = settlements[settlements.geometry.notna() & ~settlements.geometry.is_empty]
    ids = placed["settlement_id"].astype(str)
    iso = placed["iso3"].fillna("").astype(str) if "iso3" in placed else pd.Series("", index=placed.index)
    labels = [f"{n} ({c})" if c else str(n) for n, c in zip(placed["name"], iso, strict=True)]
    return dict(sorted(zip(ids, labels, strict=True), key=lambda item: item[1].casefold()))


def default_settlement(settlements: gpd.GeoDataFrame, posts: gpd.GeoDataFrame | None) -> str | None:
    """The settlement nearest to the first placed post (none without settlements)."""
    placed = settlements[settlements.geometry.notna() & ~settlements.geometry.is_empty]
    if placed.empty:
        return None
    if posts is not None:
        first = posts[posts.geometry.notna() & ~posts.geometry.is_empty]
        if len(first):
            point = first.geometry.iloc[0]
            named = placed.rename(columns={"settlement_id": "post_id"})
            found = nearest_post(named, point.y, point.x)
            if found is not None:
                return found[0]
    return str(placed["settlement_id"].iloc[0])


def mix_shares(points: dict[str, float]) -> dict[str, float]:
    """Mode points as shares summing to 1 (all 0 when no mode has points)."""
    total = sum(points.values())
    return {mode: (value / total if total else 0.0) for mode, value in points.items()}


# ------------------------------------------------------------------ tables
def site_table(result: SurgeResult, sites: gpd.GeoDataFrame, lang: str) -> pd.DataFrame:
    """One row per site that receives people (most first): its kind, arrivals, share, capacity
    a day and where it comes from, longest queue, day saturated and day cleared, in words and
    numbers of ``lang``."""
    labels = column_labels(lang)
    summary = result.summary[result.summary["arrivals"] > 0].sort_values("arrivals", ascending=False,
                                                                         kind="stable")
    source = dict(zip(sites["site_id"].astype(str), sites["capacity_source"], strict=True))
    never = set(result.never_cleared)

    def number(value: object) -> str | None:
        return None if pd.isna(value) else format_number(float(value), lang, 0)  # type: ignore[arg-type]

    def day(value: object) -> str | None:
        return None if pd.isna(value) else t("scenario_page.day_value", lang, day=int(value))  # type: ignore[call-overload]

    def cleared(site: str, value: object) -> str | None:
        return t("scenario_page.not_cleared", lang) if site in never else day(value)

    return pd.DataFrame({
        labels["name"]: summary["name"].to_numpy(),
        labels["site_kind"]: [t(f"surge.values.{k}", lang) for k in summary["site_kind"]],
        labels["arrivals"]: [number(v) for v in summary["arrivals"]],
        labels["share"]: [format_percent(v, lang) for v in summary["share"]],
        labels["capacity_per_day"]: [number(v) for v in summary["capacity_per_day"]],
        labels["capacity_source"]: [t(f"surge.values.{source[s]}", lang) if source.get(s) else None
                                    for s in summary["post_id"]],
        labels["peak_queue"]: [number(v) for v in summary["peak_queue"]],
        labels["saturation_day"]: [day(v) for v in summary["saturation_day"]],
        labels["days_to_clear"]: [cleared(s, v) for s, v in zip(summary["post_id"], summary["days_to_clear"],
                                                                  strict=True)],
    })


def daily_table(result: SurgeResult, lang: str) -> pd.DataFrame:
    """The day-by-day table for a spreadsheet (sites that receive people), columns in ``lang``."""
    receiving = set(result.summary.loc[result.summary["arrivals"] > 0, "post_id"])
    daily = result.daily[result.daily["post_id"].isin(receiving)].copy()
    daily["site_kind"] = [t(f"surge.values.{k}", lang) for k in daily["site_kind"].astype(str)]
    for column in ("post_id", "name"):
        daily[column] = daily[column].astype(str)
    return daily.rename(columns=column_labels(lang)).reset_index(drop=True)


def table_bytes(table: pd.DataFrame, fmt: str, lang: str) -> bytes:
    """``table`` as a CSV (the locale's separators) or XLSX file, text cells made inert."""
    safe = inert_table(table)
    if fmt == "xlsx":
        return xlsx_bytes(safe)
    options = csv_options(lang)
    return safe.to_csv(index=False, sep=options.get("sep", ","),
                       decimal=options.get("decimal", ".")).encode(options["encoding"])


def comparison_table(results: dict[str, SurgeResult], lang: str) -> pd.DataFrame:
    """Scenarios side by side (``surge.compare``): one row per site that receives people in
    any of them, one column group per scenario (arrivals, day saturated, longest queue)."""
    compared = compare(results)
    arrivals = compared.xs("arrivals", axis=1, level="measure").fillna(0)
    compared = compared[arrivals.sum(axis=1).to_numpy() > 0]
    compared = compared.iloc[np.argsort(-arrivals.loc[compared.index].max(axis=1).to_numpy(), kind="stable")]
    labels = column_labels(lang)

    def cell(measure: str, value: object) -> str | None:
        if pd.isna(value):
            return None
        if measure == "saturation_day":
            return t("scenario_page.day_value", lang, day=int(value))  # type: ignore[call-overload]
        return format_number(float(value), lang, 0)  # type: ignore[arg-type]

    shown = pd.DataFrame({(name, labels[measure]): [cell(measure, v) for v in compared[(name, measure)]]
                          for name in results for measure in COMPARED})
    shown.index = compared.index.get_level_values("name")
    shown.index.name = labels["name"]
    return shown


# ------------------------------------------------------------------ the page's parts
def _number(container, label: str, key: str, **kwargs) -> float:
    """A number input whose value is kept under ``key`` (default from ``NUMBERS``)."""
    st.session_state.setdefault(key, NUMBERS[key])
    return container.number_input(label, key=key, **kwargs)


def origin_section(ctx: data.Page) -> Origin | None:
    """The origin chosen: a settlement, coordinates, a click on the map (read by
    ``results_map``) or a file, with a radius around a point; None while there is none."""
    lang = ctx.lang
    st.subheader(t("scenario_page.origin", lang))
    kind = choose(st.radio, t("scenario_page.origin_kind", lang), ORIGIN_KINDS, "scenario_origin_kind",
                  lambda k: t(f"scenario_page.origin_kinds.{k}", lang), horizontal=True)
    if kind == "file":
        return _origin_file(lang)
    where_col, radius_col = st.columns([3, 1])
    radius = _number(radius_col, t("scenario_page.radius", lang), "scenario_radius", min_value=0,
                     max_value=200, step=5, help=t("scenario_page.radius_help", lang))
    with where_col:
        point = _origin_point(ctx, str(kind))
    if point is None:
        return None
    lon, lat, name = point
    try:
        origin = origin_around(lon, lat, float(radius))
    except SurgeError as error:
        st.error(error_text(error, lang))
        return None
    return replace(origin, label=f"{name} ± {radius:g} km") if name else origin


def _origin_point(ctx: data.Page, kind: str) -> tuple[float, float, str] | None:
    """The point people leave around (lon, lat in degrees, and its name), from a settlement,
    coordinates typed or the last click on the map."""
    lang = ctx.lang
    point: tuple[float, float, str] | None = None
    if kind == "settlement":
        settlements = data.layer(ctx.path, ctx.version, "settlements")
        if settlements is not None and not settlements.empty:
            labels = settlement_labels(settlements)
            near = default_settlement(settlements, data.layer(ctx.path, ctx.version, "posts"))
            chosen = choose(st.selectbox, t("scenario_page.settlement", lang), list(labels),
                            "scenario_settlement", labels.__getitem__, default=near,
                            help=t("scenario_page.settlement_help", lang))
            where = settlements.geometry[settlements["settlement_id"].astype(str) == chosen].iloc[0]
            point = (where.x, where.y, labels[str(chosen)])
    elif kind == "coordinates":
        st.session_state.setdefault("scenario_lon_lat", "")
        text = st.text_input(t("scenario_page.lon_lat", lang), key="scenario_lon_lat",
                             help=t("scenario_page.lon_lat_help", lang), placeholder="-4.91,15.71")
        if text.strip():
            try:
                lon, lat = parse_lon_lat(text)
                point = (lon, lat, "")
            except SurgeError as error:
                st.error(error_text(error, lang))
    elif (clicked := st.session_state.get(CLICKED)) is not None:
        lon, lat = clicked
        point = (lon, lat, "")
        st.caption(t("scenario_page.clicked", lang, lat=format_number(lat, lang, 4, fixed=True),
                     lon=format_number(lon, lang, 4, fixed=True)))
    else:
        st.info(t("scenario_page.click_hint", lang))
    return point


def _origin_file(lang: str) -> Origin | None:
    upload = st.file_uploader(t("scenario_page.file", lang), type=ORIGIN_FILE_TYPES, key="scenario_file")
    if upload is None:
        st.info(t("scenario_page.file_hint", lang))
        return None
    read = st.session_state.setdefault("scenario_files", {})
    if upload.file_id not in read:  # read once per file (the page runs again at every change)
        try:
            with saved_upload(upload.name, upload.getvalue()) as path:
                read[upload.file_id] = origin_from_file(path)
        except BordermapError as error:
            read[upload.file_id] = error
    found = read[upload.file_id]
    if isinstance(found, BordermapError):
        st.error(error_text(found, lang))
        return None
    return found


def numbers_section(lang: str) -> SurgeScenario | None:
    """The surge's numbers as a checked scenario (None, said why, when it cannot run)."""
    cols = list(st.columns(4))
    people = _number(cols[0], t("scenario_page.people", lang), "scenario_people", min_value=0,
                     max_value=MAX_PEOPLE, step=1000)
    days = int(_number(cols[1], t("scenario_page.days", lang), "scenario_days", min_value=1,
                       max_value=MAX_DAYS, step=1))
    with cols[2]:
        curve = str(choose(st.selectbox, t("scenario_page.curve", lang), CURVES, "scenario_curve",
                           lambda c: t(f"scenario_page.curves.{c}", lang),
                           help=t("scenario_page.curve_help", lang)))
    peak_day = None
    if curve == "peak":
        kept = st.session_state.get("scenario_peak_day") or math.ceil(days / 2)
        st.session_state["scenario_peak_day"] = min(int(kept), days)  # within the days set
        peak_day = int(cols[3].number_input(t("scenario_page.peak_day", lang), min_value=1, max_value=days,
                                            step=1, key="scenario_peak_day"))
    st.markdown(f"**{t('scenario_page.travel', lang)}**")
    cols = list(st.columns(4))
    keys = {mode: f"scenario_mix_{mode}" for mode in TRAVEL_MODES}
    points = {mode: float(st.session_state.setdefault(key, NUMBERS[key])) for mode, key in keys.items()}
    shares = mix_shares(points)
    for col, mode in zip(cols[:3], TRAVEL_MODES, strict=False):
        col.slider(t("scenario_page.mix_label", lang, mode=t(f"scenario_page.modes.{mode}", lang),
                     share=format_percent(shares[mode], lang, 0)),
                   0, 100, step=5, key=f"scenario_mix_{mode}", help=t("scenario_page.mix_help", lang))
    st.session_state.setdefault("scenario_unofficial", NUMBERS["scenario_unofficial"])
    unofficial = cols[3].slider(t("scenario_page.unofficial_share", lang), 0, 100, step=5,
                                key="scenario_unofficial", help=t("scenario_page.unofficial_help", lang))
    cols = list(st.columns(4))
    k = _number(cols[0], t("scenario_page.choice_k", lang), "scenario_k", min_value=1, max_value=10, step=1,
                help=t("scenario_page.choice_k_help", lang))
    throughput = _number(cols[1], t("scenario_page.throughput", lang), "scenario_throughput", min_value=0.0,
                         max_value=1000.0, step=1.0, format="%g",
                         help=t("scenario_page.throughput_help", lang))
    hours = _number(cols[2], t("scenario_page.hours", lang), "scenario_hours", min_value=0.0, max_value=24.0,
                    step=1.0, format="%g")
    if not any(points.values()):
        st.warning(t("scenario_page.no_mode", lang))
        return None
    try:
        return SurgeScenario(people=int(people), days=days, curve=curve, peak_day=peak_day,
                             mode_mix=mix_shares(points), unofficial_share=unofficial / 100, choice_k=int(k),
                             throughput_per_staff_hour=float(throughput), hours_per_day=float(hours))
    except SurgeError as error:
        st.error(error_text(error, lang))
        return None


def simulate(ctx: data.Page, scenario: SurgeScenario, origin: Origin) -> SurgeRun | None:
    """The surge run (cached); the travel-time surfaces computed first, each with its progress
    message (shown only when it takes a while: the first time)."""
    lang, settings = ctx.lang, ctx.profile.access
    try:
        for mode in used_modes(scenario):
            with st.spinner(t("scenario_page.computing_surface", lang, mode=t(f"access.mode.{mode}", lang))):
                data.surface(ctx.path, ctx.version, settings, mode)
        with st.spinner(t("scenario_page.computing_routes", lang)):
            return data.surge(ctx.path, ctx.version, settings, scenario, origin)
    except BordermapError as error:
        st.error(error_text(error, lang))
        return None


def headline(run: SurgeRun, lang: str) -> None:
    """People, posts reached, the post saturated first and the people who reach no site."""
    result = run.result
    summary = result.summary
    posts = summary[summary["site_kind"] == "post"]
    names = dict(zip(summary["post_id"], summary["name"], strict=True))
    days = dict(zip(summary["post_id"], summary["saturation_day"], strict=True))
    cols = st.columns([2, 2, 3, 2])  # the post saturated first: its name in full
    cols[0].metric(t("scenario_page.people_metric", lang), format_number(result.scenario.people, lang, 0))
    cols[1].metric(t("scenario_page.posts_metric", lang),
                   t("scenario_page.posts_of", lang, reached=int((posts["arrivals"] > 0).sum()),
                     total=len(posts)))
    first = result.first_saturated[0] if result.first_saturated else None
    cols[2].metric(t("scenario_page.first_metric", lang) if first is None else
                   t("scenario_page.first_metric_day", lang, day=int(days[first])),
                   names[first] if first else t("scenario_page.no_saturation", lang))
    cols[3].metric(t("scenario_page.unreached_metric", lang),
                   format_number(sum(result.unreached.values()), lang, 0))
    if result.first_saturated:
        listed = [t("scenario_page.saturation_item", lang, post=names[p], day=int(days[p]))
                  for p in result.first_saturated[:5]]
        st.markdown(md_text(t("scenario_page.saturation_line", lang, posts=", ".join(listed))))
    else:
        st.markdown(md_text(t("scenario_page.no_saturation_line", lang)))
    if result.never_cleared:
        st.warning(md_text(t("scenario_page.never_cleared", lang, days=result.horizon_days,
                             posts=", ".join(names[p] for p in result.never_cleared))))


def _clicked() -> None:
    """A click on the map (origin "map" mode) sets the origin there."""
    event = st.session_state.get("scenario_map_click") or {}
    if clicked := event.get("last_clicked"):
        st.session_state[CLICKED] = (float(clicked["lng"]), float(clicked["lat"]))


def results_map(ctx: data.Page, run: SurgeRun | None, origin: Origin | None) -> None:
    """The base map with the origin, the flows and the posts by saturation; in origin "map"
    mode it returns the clicks (and only then: no other event reruns the page)."""
    lang = ctx.lang
    fmap = data.base(ctx.path, ctx.version, lang, 0.6, None, symbols=legend_rows(lang))
    result = run.result if run is not None else None
    try:
        sites = run.sites if run is not None else data.sites(ctx.path, ctx.version)
    except BordermapError:  # posts without a usable capacity: said where the surge runs
        sites = None
    group = surge_layer(result, sites, origin, lang) if sites is not None else None
    if origin is not None and sites is not None:
        fit_view(fmap, surge_bounds(result, sites, origin))
    clicking = st.session_state.get("scenario_origin_kind") == "map"
    # streamlit-folium reads the events to return when the map is first drawn: click mode has its own map
    st_folium(fmap, key="scenario_map_click" if clicking else "scenario_map", height=MAP_HEIGHT,
              use_container_width=True, feature_group_to_add=group, layer_control=layer_control(),
              returned_objects=["last_clicked"] if clicking else [], on_change=_clicked if clicking else None)


def site_section(run: SurgeRun, lang: str) -> None:
    st.subheader(t("scenario_page.table", lang))
    posts = run.result.summary[run.result.summary["site_kind"] == "post"]
    st.caption(t("scenario_page.table_hint", lang, idle=int((posts["arrivals"] == 0).sum())))
    tables.text_table(site_table(run.result, run.sites, lang))


def daily_section(run: SurgeRun, lang: str) -> None:
    """Arrivals, processed and queue of one site day by day, and the whole table to download."""
    result = run.result
    st.subheader(t("scenario_page.daily", lang))
    receiving = result.summary[result.summary["arrivals"] > 0].sort_values("arrivals", ascending=False)
    if receiving.empty:
        return
    names = dict(zip(receiving["post_id"], receiving["name"], strict=True))
    first = result.first_saturated[0] if result.first_saturated else None
    site = choose(st.selectbox, t("scenario_page.daily_post", lang), list(names), "scenario_daily_post",
                  names.__getitem__, default=first)
    labels = column_labels(lang)
    days = result.daily[result.daily["post_id"] == site]
    long = days.melt(id_vars="day", value_vars=["arrivals", "processed", "queue"], var_name="measure",
                     value_name="people").dropna()
    long["measure"] = long["measure"].map(labels)
    st.altair_chart(charts.daily_lines(long, t("scenario_page.day_axis", lang),
                                       t("scenario_page.daily_axis", lang), lang), width="stretch")
    table = daily_table(result, lang)
    for col, fmt in zip(st.columns(3), FORMATS, strict=False):
        col.download_button(t("scenario_page.download", lang, format=fmt.upper()),
                            table_bytes(table, fmt, lang),
                            file_name=f"{t('scenario_page.download_name', lang)}.{fmt}",
                            mime=FORMATS[fmt], key=f"scenario_download_{fmt}", on_click="ignore")


def _save(scenario: SurgeScenario, origin: Origin, lang: str) -> None:
    """The save button's callback: the scenario under the name typed, with its origin (for a
    viewer who may save scenarios)."""
    name = st.session_state.get("scenario_name") or ""
    try:
        viewer = acting(Permission.SCENARIO)
        saved = save_surge(data.store(), replace(scenario, name=name), origin, viewer.name)
    except BordermapError as error:
        st.session_state["scenario_saved"] = ("error", error_text(error, lang))
        return
    compared = st.session_state.get("scenario_compare", [])
    st.session_state["scenario_compare"] = [*[n for n in compared if n != saved.scenario.name],
                                            saved.scenario.name]
    st.session_state["scenario_saved"] = ("success", md_text(t("scenario_page.saved_as", lang,
                                                               name=saved.scenario.name)))


def saved_section(ctx: data.Page, scenario: SurgeScenario | None, origin: Origin | None) -> None:
    """Save the scenario under a name; the saved scenarios; two or more of them side by side."""
    lang = ctx.lang
    st.subheader(t("scenario_page.save", lang))
    if (outcome := st.session_state.pop("scenario_saved", None)) is not None:
        kind, message = outcome
        (st.success if kind == "success" else st.error)(message)
    if scenario is not None and origin is not None:
        cols = st.columns([3, 1], vertical_alignment="bottom")
        st.session_state.setdefault("scenario_name", "")
        cols[0].text_input(t("scenario_page.scenario_name", lang), key="scenario_name", max_chars=80)
        cols[1].button(t("scenario_page.save_button", lang), key="scenario_save", on_click=_save,
                       args=(scenario, origin, lang))
    saved = saved_surges(data.store())
    if not saved:
        st.info(t("scenario_page.no_saved", lang))
        return
    st.markdown(f"**{t('scenario_page.saved_list', lang)}**")
    tables.text_table(pd.DataFrame({
        t("scenario_page.scenario_name", lang): list(saved),
        t("scenario_page.col_people", lang): [format_number(s.scenario.people, lang, 0)
                                              for s in saved.values()],
        t("scenario_page.col_days", lang): [s.scenario.days for s in saved.values()],
        t("scenario_page.col_origin", lang): [s.origin.label for s in saved.values()],
        t("scenario_page.col_created", lang): [format_time(s.created, lang) if s.created else None
                                               for s in saved.values()],
        t("app.col.user", lang): [s.author for s in saved.values()],
    }))
    chosen = choose_many(st.multiselect, t("scenario_page.compare", lang), list(saved), "scenario_compare")
    if len(chosen) < 2:
        st.caption(t("scenario_page.compare_hint", lang))
        return
    results = {}
    for name in chosen:
        run = simulate(ctx, saved[name].scenario, saved[name].origin)
        if run is None:
            return
        results[name] = run.result
    st.markdown(f"**{t('scenario_page.compare_table', lang)}**")
    shown = comparison_table(results, lang)
    shown.columns = pd.MultiIndex.from_tuples([(md_text(a), md_text(b)) for a, b in shown.columns])
    shown.index = [md_text(i) for i in shown.index]
    st.table(shown.map(lambda v: tables.MISSING if pd.isna(v) else md_text(v)))

