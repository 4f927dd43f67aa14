"""Folium map of the stored layers (EPSG:4326), with every file value shown as inert text."""

from __future__ import annotations

import html

import folium
import geopandas as gpd

from .i18n import t

POST_COLOURS = {"operational": "#1a9641", "degraded": "#fdae61", "closed": "#d7191c",
                "planned": "#2b83ba"}
ROAD_WEIGHTS = {"trunk": 4, "primary": 3, "secondary": 2, "tertiary": 1.5, "track": 1}


def inert(value: object) -> str:
    """``value`` as text that HTML and JavaScript template literals show and never run.

    HTML escaping alone is not enough: folium puts tooltips inside JavaScript
    template literals, where a backtick or ``${`` would end or open code.
    """
    text = html.escape("" if value is None else str(value), quote=True)
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def _outline_layer(layer: gpd.GeoDataFrame, name: str, style: dict) -> folium.GeoJson:
    return folium.GeoJson(layer[[layer.geometry.name]], name=name, style_function=lambda _: style)


def build_map(layers: dict[str, gpd.GeoDataFrame], lang: str, tiles: str | None = None,
              ranks: dict[str, int] | None = None) -> folium.Map:
    """A map of countries, borders, roads, crossings, settlements and posts; layers draw the basemap.

    ``tiles`` is an optional online basemap; by default none is needed. ``ranks`` (post id ->
    rank) puts each post's rank before its name.
    """
    fmap = folium.Map(location=[15.5, -8.0], zoom_start=6, tiles=tiles, control_scale=True)
    if (countries := layers.get("countries")) is not None:
        _outline_layer(countries, t("kinds.countries", lang),
                       {"color": "#888888", "weight": 1, "fillColor": "#f4efe4",
                        "fillOpacity": 1.0}).add_to(fmap)
    if (borders := layers.get("borders")) is not None:
        _outline_layer(borders, t("kinds.borders", lang),
                       {"color": "#6a3d9a", "weight": 2.5, "dashArray": "6 4"}).add_to(fmap)
    if (roads := layers.get("roads")) is not None:
        group = folium.FeatureGroup(name=t("kinds.roads", lang)).add_to(fmap)
        for road_class, part in roads.groupby("road_class"):
            _outline_layer(part, str(road_class), {"color": "#b15928",
                                                    "weight": ROAD_WEIGHTS.get(road_class, 1)}
                           ).add_to(group)
    _points(fmap, layers.get("crossings"), t("kinds.crossings", lang),
            lambda row: "#444444" if row["kind"] == "official" else "#e31a1c", 4)
    _points(fmap, layers.get("posts"), t("kinds.posts", lang),
            lambda row: POST_COLOURS.get(row["status"], "#555555"), 8, ranks or {})
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


def _points(fmap: folium.Map, layer: gpd.GeoDataFrame | None, name: str, colour, radius: float,
            ranks: dict[str, int] | None = None) -> None:
    if layer is None or layer.empty:
        return
    group = folium.FeatureGroup(name=name).add_to(fmap)
    for _, row in layer[layer.geometry.notna()].iterrows():
        rank = (ranks or {}).get(row.iloc[0])
        label = (f"{rank}. " if rank else "") + inert(row.get("name") or row.iloc[0])
        folium.CircleMarker(
            location=[row.geometry.y, row.geometry.x], radius=radius, color=colour(row),
            fill=True, fill_opacity=0.9, tooltip=label, popup=folium.Popup(label),
        ).add_to(group)
