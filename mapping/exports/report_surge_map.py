"""A surge scenario's map in the report (matplotlib, in ``ReportMaps``' study CRS, metres):
the origin, straight flows from it to the sites reached, their width proportional to the
people arriving there, the posts reached coloured saturated or not, the unofficial
crossings reached, and the other posts in grey; the sites with the most arrivals named."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..i18n import format_number, t
from ..palette import UNOFFICIAL_COLOUR
from .access_parts import SurgeReport
from .report_map import HALO, ReportMaps, _png

SATURATED, NOT_SATURATED, OTHER_POST = "#d7301f", "#1a9850", "#9e9e9e"
FLOW_COLOUR, ORIGIN_COLOUR = "#3b3b3b", "#6a51a3"
FLOW_WIDTH = (0.6, 9.0)  # points: the narrowest and the widest flow
SURGE_SIZE = (6.8, 4.8)  # inches
SURGE_MARGIN = 0.12  # share of the span added on each side
SURGE_REACH_KM = 30.0  # and at least this
NAMED = 8  # sites reached named on the map (most arrivals first)


def _flow_widths(arrivals: np.ndarray) -> np.ndarray:
    low, high = FLOW_WIDTH
    return low + (high - low) * arrivals / max(float(arrivals.max(initial=0)), 1.0)


def surge_map(maps: ReportMaps, report: SurgeReport) -> bytes:
    """A scenario's map (PNG): origin, flows ∝ arrivals, posts saturated or not (see module)."""
    lang = maps.lang
    run = report.run
    summary = run.result.summary.set_index("post_id")
    sites = run.sites.set_index(run.sites["site_id"].astype(str)).to_crs(maps.crs)
    arrivals = summary["arrivals"].reindex(sites.index).fillna(0).to_numpy(dtype=float)
    saturated = summary["saturation_day"].reindex(sites.index).notna().to_numpy()
    reached = arrivals > 0
    origin = gpd.GeoSeries(list(report.origin.geometry), crs=4326).to_crs(maps.crs)
    start = shapely.unary_union(origin.to_numpy()).centroid
    focus = pd.concat([origin, sites.geometry[reached]]) if reached.any() else origin
    extent = _fit(focus.total_bounds, SURGE_SIZE)
    figure = Figure(figsize=SURGE_SIZE)
    ax = figure.add_axes((0.01, 0.01, 0.98, 0.98))
    maps.draw_layers(ax, maps.within(extent), extent, posts=False)
    is_post = (sites["site_kind"] == "post").to_numpy()
    xs, ys = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
    others = is_post & ~reached
    ax.scatter(xs[others], ys[others], s=18, c=OTHER_POST, edgecolors="black", linewidths=0.3, zorder=5)
    widths = _flow_widths(arrivals)
    for i in np.flatnonzero(reached)[np.argsort(-arrivals[reached])]:
        ax.plot([start.x, xs[i]], [start.y, ys[i]], color=FLOW_COLOUR, alpha=0.45, linewidth=widths[i],
                solid_capstyle="round", zorder=4.5)
    areas = origin[origin.area > 0]
    if len(areas):
        areas.plot(ax=ax, color=ORIGIN_COLOUR, alpha=0.35, edgecolor=ORIGIN_COLOUR, linewidth=1, zorder=4.6)
    ax.scatter([start.x], [start.y], marker="*", s=140, c=ORIGIN_COLOUR, edgecolors="white", linewidths=0.6,
               zorder=6)
    posts_reached = is_post & reached
    colours = np.where(saturated, SATURATED, NOT_SATURATED)
    ax.scatter(xs[posts_reached], ys[posts_reached], s=70, c=colours[posts_reached], edgecolors="black",
               linewidths=0.6, zorder=6)
    crossings = ~is_post & reached
    ax.scatter(xs[crossings], ys[crossings], marker="X", s=45, c=UNOFFICIAL_COLOUR, edgecolors="white",
               linewidths=0.5, zorder=6)
    for i in np.flatnonzero(reached)[np.argsort(-arrivals[reached])][:NAMED]:
        label = f"{sites['name'].iloc[i]}\n{format_number(arrivals[i], lang, 0)}"
        ax.annotate(label, (xs[i], ys[i]), xytext=(6, 4), textcoords="offset points", fontsize=6.5,
                    zorder=7, path_effects=HALO, annotation_clip=True, clip_on=True)
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    maps.country_names(ax, extent)
    maps.north_arrow(ax)
    maps.scale_bar(ax, extent[2] - extent[0])
    ax.legend(handles=_surge_handles(lang, float(arrivals.max(initial=0))), loc="lower right", fontsize=6,
              framealpha=0.9).set_zorder(10)
    return _png(figure)


def _surge_handles(lang: str, most: float) -> list[Artist]:
    return [
        Line2D([], [], marker="*", linestyle="", markersize=10, color=ORIGIN_COLOUR,
               label=t("report_access.map.origin", lang)),
        Line2D([], [], color=FLOW_COLOUR, alpha=0.45, linewidth=FLOW_WIDTH[1] / 2,
               label=t("report_access.map.flow", lang, people=format_number(most, lang, 0))),
        Line2D([], [], marker="o", linestyle="", markersize=7, markerfacecolor=SATURATED,
               markeredgecolor="black", label=t("report_access.map.saturated", lang)),
        Line2D([], [], marker="o", linestyle="", markersize=7, markerfacecolor=NOT_SATURATED,
               markeredgecolor="black", label=t("report_access.map.not_saturated", lang)),
        Line2D([], [], marker="X", linestyle="", markersize=6, color=UNOFFICIAL_COLOUR,
               label=t("report_access.map.unofficial", lang)),
        Line2D([], [], marker="o", linestyle="", markersize=4, markerfacecolor=OTHER_POST,
               markeredgecolor="black", label=t("report_access.map.other_post", lang)),
    ]


def _fit(bounds: np.ndarray, size: tuple[float, float]) -> tuple[float, float, float, float]:
    """``bounds`` (metres) with a margin, widened to the figure's shape."""
    west, south, east, north = bounds
    pad = max(SURGE_MARGIN * max(east - west, north - south), SURGE_REACH_KM * 1000)
    west, south, east, north = west - pad, south - pad, east + pad, north + pad
    aspect = size[1] / size[0]
    width, height = max(east - west, (north - south) / aspect), max(north - south, (east - west) * aspect)
    x, y = (west + east) / 2, (south + north) / 2
    return x - width / 2, y - height / 2, x + width / 2, y + height / 2
