"""A simulated surge on the web map: the origin, a flow line from it to every site that receives
people (width ∝ arrivals), and the posts coloured by whether their queue saturates.

Everything is in EPSG:4326 (degrees). Every text that came from a file (names) and every number
is escaped with ``inert`` before it reaches the page; the legend rows are built from the
catalogues and constants only.
"""

from __future__ import annotations

import json

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .access.routing import Origin
from .access.surge import SurgeResult
from .escape import inert
from .i18n import format_number, t
from .maps import POINT_STYLE, POST_RADIUS, POSTS_PANE, GeoJsonText
from .palette import SELECTED_COLOUR, UNOFFICIAL_COLOUR, UNRANKED_COLOUR

SATURATED_COLOUR, COPING_COLOUR = "#a50026", "#1a9850"  # posts with a queue at the end of a day / without
IDLE_COLOUR = UNRANKED_COLOUR  # posts nobody reaches
ORIGIN_COLOUR = SELECTED_COLOUR
FLOW_COLOUR = "#f16913"
FLOW_WEIGHTS = (2.0, 14.0)  # pixels: the thinnest and the widest flow line
CROSSING_RADIUS = 5  # pixels: an unofficial crossing that receives people


def origin_point(origin: Origin) -> shapely.Point:
    """The point the flow lines leave from: the centre of the origin's areas or places."""
    return shapely.GeometryCollection(list(origin.geometry)).centroid


def flow_weights(arrivals: np.ndarray) -> np.ndarray:
    """Line widths in pixels, proportional to the arrivals (the largest flow ``FLOW_WEIGHTS[1]``,
    none thinner than ``FLOW_WEIGHTS[0]``)."""
    arrivals = np.asarray(arrivals, dtype=float)
    top = arrivals.max(initial=0)
    if top <= 0:
        return np.full(len(arrivals), FLOW_WEIGHTS[0])
    return np.maximum(FLOW_WEIGHTS[1] * arrivals / top, FLOW_WEIGHTS[0])


def _site_label(row: pd.Series, lang: str) -> str:
    """A site's tooltip: its name, arrivals, capacity and the day its queue saturates."""
    parts = [t("scenario_page.map.arrivals", lang, people=format_number(int(row["arrivals"]), lang, 0))]
    if row["site_kind"] == "post":
        parts.append(t("scenario_page.map.capacity", lang,
                       people=format_number(float(row["capacity_per_day"]), lang, 0)))
        if pd.notna(row["saturation_day"]):
            parts.append(t("scenario_page.map.saturated", lang, day=int(row["saturation_day"]),
                           queue=format_number(int(row["peak_queue"]), lang, 0)))
    else:
        parts.append(t("surge.values.unofficial", lang))
    return inert(f"{row['name']} — " + "; ".join(parts))


def _points(frame: gpd.GeoDataFrame, labels: list[str], colours: list[str], radius: float,
            name: str) -> GeoJsonText:
    """Points drawn by the map's ``POINT_STYLE`` in the posts' pane (labels already escaped)."""
    xy = shapely.get_coordinates(frame.geometry.values).round(5)
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
                 "properties": {"label": label, "colour": colour, "radius": radius, "pane": POSTS_PANE,
                                "rank": None, "numbered": False}}
                for (x, y), label, colour in zip(xy.tolist(), labels, colours, strict=True)]
    return GeoJsonText(json.dumps({"type": "FeatureCollection", "features": features}), name,
                       point_to_layer=POINT_STYLE)


def surge_layer(result: SurgeResult | None, sites: gpd.GeoDataFrame, origin: Origin | None,
                lang: str) -> folium.FeatureGroup:
    """The origin, the flow lines and the sites of a simulated surge (``result`` over ``sites``,
    as ``mapping.access.run.SurgeRun`` gives them); without a result, the posts alone."""
    group = folium.FeatureGroup(name=t("scenario_page.map.layer", lang))
    summary = (result.summary.set_index("post_id") if result is not None
               else pd.DataFrame(index=pd.Index([], name="post_id")))
    if origin is not None:
        _origin_shapes(origin, lang).add_to(group)
    placed = sites.assign(site_id=sites["site_id"].astype(str)).set_index("site_id")
    if result is not None and origin is not None:
        start = origin_point(origin)
        reached = summary[summary["arrivals"] > 0].join(placed[["geometry"]], how="inner")
        reached = reached.sort_values("arrivals")  # the largest flows drawn last, on top
        for (_, row), weight in zip(reached.iterrows(), flow_weights(reached["arrivals"].to_numpy()),
                                    strict=True):
            end = row["geometry"]
            folium.PolyLine([(start.y, start.x), (end.y, end.x)], color=FLOW_COLOUR, weight=float(weight),
                            opacity=0.75, dash_array="8 6" if row["site_kind"] == "unofficial" else None,
                            tooltip=_site_label(row, lang)).add_to(group)
        crossings = reached[reached["site_kind"] == "unofficial"]
        if len(crossings):
            frame = gpd.GeoDataFrame(crossings, geometry="geometry", crs="EPSG:4326")
            _points(frame, [_site_label(r, lang) for _, r in crossings.iterrows()],
                    [UNOFFICIAL_COLOUR] * len(crossings), CROSSING_RADIUS,
                    t("scenario_page.map.crossings", lang)).add_to(group)
    posts = placed[placed["site_kind"] == "post"]
    if len(posts):
        rows = posts.join(summary.drop(columns=["name", "site_kind", "capacity_per_day"], errors="ignore"),
                          how="left")
        colours, labels = [], []
        for _, row in rows.iterrows():
            received = pd.notna(row.get("arrivals")) and row["arrivals"] > 0
            colours.append(SATURATED_COLOUR if received and pd.notna(row["saturation_day"])
                           else COPING_COLOUR if received else IDLE_COLOUR)
            labels.append(_site_label(row, lang) if received else inert(row["name"]))
        order = np.argsort([c != IDLE_COLOUR for c in colours], kind="stable")  # receiving posts on top
        frame = gpd.GeoDataFrame(rows.iloc[order], geometry="geometry", crs="EPSG:4326")
        _points(frame, [labels[i] for i in order], [colours[i] for i in order], POST_RADIUS,
                t("kinds.posts", lang)).add_to(group)
    return group


def _origin_shapes(origin: Origin, lang: str) -> folium.GeoJson:
    shapes = gpd.GeoDataFrame(geometry=list(origin.geometry), crs="EPSG:4326")
    label = inert(t("scenario_page.map.origin", lang, origin=origin.label))
    style = {"color": ORIGIN_COLOUR, "weight": 3, "fillOpacity": 0.15}
    return folium.GeoJson(shapes.to_json(drop_id=True), name=t("scenario_page.map.origin_layer", lang),
                          style_function=lambda _: style, tooltip=folium.Tooltip(label),
                          marker=folium.CircleMarker(radius=8, color=ORIGIN_COLOUR, fill=True,
                                                     fill_opacity=0.6))


def legend_rows(lang: str) -> tuple[str, ...]:
    """The legend rows of the surge's symbols (catalogues and constants only)."""
    def dot(colour: str, size: int = 12) -> str:
        return f"<i style='background:{colour};width:{size}px;height:{size}px'></i>"

    return (f"<i class='bordermap-ring' style='border-color:{ORIGIN_COLOUR}'></i>"
            f"{t('scenario_page.legend.origin', lang)}",
            f"<i class='bordermap-line' style='background:{FLOW_COLOUR};height:6px'></i>"
            f"{t('scenario_page.legend.flow', lang)}",
            dot(SATURATED_COLOUR) + t("scenario_page.legend.saturated", lang),
            dot(COPING_COLOUR) + t("scenario_page.legend.coping", lang),
            dot(IDLE_COLOUR) + t("scenario_page.legend.idle", lang))


def surge_bounds(result: SurgeResult | None, sites: gpd.GeoDataFrame,
                 origin: Origin) -> tuple[float, float, float, float]:
    """The box (west, south, east, north; degrees) of the origin and the sites that receive
    people, for ``maps.fit_view``."""
    points = [origin_point(origin)]
    if result is not None:
        receiving = set(result.summary.loc[result.summary["arrivals"] > 0, "post_id"].astype(str))
        points += list(sites.geometry[sites["site_id"].astype(str).isin(receiving)])
    west, south, east, north = shapely.MultiPoint(points).bounds
    return west, south, east, north
