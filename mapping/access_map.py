"""Travel-time layers of the web map: bands of travel time to the selected post and the area
from which each post is the quickest to reach (``mapping.access.catchments``, EPSG:4326).

Both are ``folium.FeatureGroup`` s that the app sends to streamlit-folium as
``feature_group_to_add`` beside the posts, so the cached base map is not rebuilt. The bands
lie in their own pane over the land, under every line and point, and catch no click; their
time scale is added to the map's legend while they are shown. The areas are drawn on the
posts' canvas, behind the posts (a canvas catches the pointer over its whole pane, so areas
in a lower pane could show no tooltip): pointing at an area shows its post and the people
living there, escaped with ``inert``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import folium
import geopandas as gpd
import shapely
from branca.element import Template

from .escape import inert
from .i18n import Term, format_number, t
from .maps import (
    ACCESS_PANE,
    COORDINATE_PRECISION,
    OUTLINE_TOLERANCE,
    POSTS_PANE,
    PreparedLayer,
    PreparedMacro,
)
from .palette import AREA_COLOURS, time_band_colours

BAND_OPACITY = 0.45  # fill of a travel-time band: the land, roads and places stay readable
AREA_OPACITY = 0.12  # fill of a quickest-post area (its outline is drawn full)
NEIGHBOUR_DEGREES = 1e-6  # areas this close (degrees) are neighbours and take different colours


class StyledShapes(PreparedLayer):
    """Polygons each drawn with its own ``style`` (a Leaflet path style in the feature's
    properties), in ``pane``; with a ``label`` property (escaped by the caller), a tooltip that
    follows the pointer. ``canvas``: drawn on the pane's shared canvas (``bordermapCanvas``)
    and kept behind the pane's other shapes whenever the group is shown again."""

    _template = Template("""{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.geoJson({{ this.data }}, {
    pane: {{ this.pane }}, interactive: {{ this.interactive }},
    {% if this.canvas %}renderer: bordermapCanvas({{ this.pane }}),{% endif %}
    style: function (feature) { return feature.properties.style; },
    onEachFeature: function (feature, layer) {
        if (feature.properties.label) {
            layer.bindTooltip(feature.properties.label, {sticky: true, direction: 'top',
                                                         className: 'bordermap-tip'});
        }
    }});
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% if this.canvas %}{{ this._parent.get_name() }}.on('add', function () {
    {{ this.get_name() }}.bringToBack();
});{% endif %}
{% endmacro %}""")

    def __init__(self, shapes: gpd.GeoDataFrame, name: str, pane: str, canvas: bool = False) -> None:
        super().__init__(name=name, overlay=True, control=False)
        self._name = "StyledShapes"
        text = shapes.to_json(drop_id=True)
        self.data = text.replace("</", "<\\/")  # labels are escaped; no text ends the script
        self.pane, self.canvas = json.dumps(pane), canvas
        self.interactive = json.dumps("label" in shapes)


class LegendRows(PreparedMacro):
    """Rows added to the map's legend (``maps.Legend``) while the parent layer is on the map,
    taken away with it (a layer switched off, or replaced at the next run)."""

    _template = Template("""{% macro script(this, kwargs) %}
(function (layer) {
    var rows = null;
    function show() {
        var legend = document.querySelector('.bordermap-legend details');
        if (rows || !legend) { return; }
        rows = L.DomUtil.create('div', 'bordermap-legend-extra', legend);
        rows.innerHTML = {{ this.body_json }};
    }
    function hide() { if (rows) { L.DomUtil.remove(rows); rows = null; } }
    layer.on('add', show);
    layer.on('remove', hide);
    if (layer._map) { show(); }
})({{ this._parent.get_name() }});
{% endmacro %}""")

    def __init__(self, rows: Sequence[str]) -> None:
        super().__init__()
        self._name = "LegendRows"
        self.body_json = json.dumps("<br>".join(rows))  # built from the catalogues and constants only


def _shapes(frame: gpd.GeoDataFrame, columns: dict[str, list]) -> gpd.GeoDataFrame:
    """``frame``'s polygons simplified for display (``OUTLINE_TOLERANCE`` degrees) with ``columns``."""
    shapes = shapely.simplify(frame.geometry.values, OUTLINE_TOLERANCE, preserve_topology=True)
    shapes = shapely.set_precision(shapes, COORDINATE_PRECISION)
    return gpd.GeoDataFrame(columns, geometry=list(shapes), crs="EPSG:4326")


def band_legend_rows(minutes: Sequence[float], mode: str, lang: str) -> list[str]:
    """The time scale: a title, then one row per band, shortest first (``≤ 60 min on foot``,
    ``≤ 120 min``), each with its colour (``time_band_colours``)."""
    ordered = sorted(minutes)
    colours = time_band_colours(len(ordered))
    rows = [f"<b>{t('map_access.legend_bands', lang)}</b>"]
    for i, (limit, colour) in enumerate(zip(ordered, colours, strict=True)):
        text = t("map_access.band_first", lang, minutes=limit, mode=Term(f"access.mode.{mode}")) if i == 0 \
            else t("map_access.band", lang, minutes=limit)
        rows.append(f"<i class='bordermap-square' style='background:{colour};opacity:{BAND_OPACITY + 0.2}'>"
                    f"</i>{text}")
    return rows


def isochrone_layer(bands: gpd.GeoDataFrame, mode: str, lang: str) -> folium.FeatureGroup:
    """The bands of travel time to one post (``catchments.isochrones``: ``minutes`` = the band's
    upper limit, EPSG:4326) as semi-transparent polygons coloured from darkest (quickest) to
    lightest, the longest drawn first, with their time scale in the legend."""
    group = folium.FeatureGroup(name=t("map_access.bands_layer", lang))
    limits = sorted(bands["minutes"].unique())
    colours = dict(zip(limits, time_band_colours(len(limits)), strict=True))
    ordered = bands.sort_values("minutes", ascending=False)
    styles = [{"stroke": True, "color": colours[m], "weight": 1, "opacity": 0.8, "fillColor": colours[m],
               "fillOpacity": BAND_OPACITY} for m in ordered["minutes"]]
    shapes = _shapes(ordered, {"minutes": ordered["minutes"].tolist(), "style": styles})
    StyledShapes(shapes, t("map_access.bands_layer", lang), ACCESS_PANE).add_to(group)
    LegendRows(band_legend_rows(limits, mode, lang)).add_to(group)
    return group


def area_colours(areas: gpd.GeoDataFrame) -> list[str]:
    """A colour of ``AREA_COLOURS`` for each area such that areas that touch differ (greedy
    colouring, the areas with most neighbours first); when an area has neighbours of every
    colour, the first colour."""
    geoms = areas.geometry.values
    pairs = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=NEIGHBOUR_DEGREES)
    neighbours: dict[int, set[int]] = {i: set() for i in range(len(areas))}
    for a, b in pairs.T.tolist():
        if a != b:
            neighbours[a].add(b)
    chosen: dict[int, int] = {}
    for i in sorted(neighbours, key=lambda i: (-len(neighbours[i]), i)):
        used = {chosen[j] for j in neighbours[i] if j in chosen}
        chosen[i] = min(range(len(AREA_COLOURS)), key=lambda c: (c in used, c))
    return [AREA_COLOURS[chosen[i]] for i in range(len(areas))]


def area_legend_rows(max_minutes: float, mode: str, lang: str) -> list[str]:
    """The legend of the quickest-post areas: a few outline colours and what they enclose."""
    swatches = "".join(f"<i class='bordermap-square' style='background:transparent;border:2px solid {c};"
                       f"width:8px;height:8px;margin-right:1px'></i>" for c in AREA_COLOURS[:3])
    text = t("map_access.legend_areas", lang, minutes=max_minutes, mode=Term(f"access.mode.{mode}"))
    return [f"{swatches} {text}"]


def quickest_layer(areas: gpd.GeoDataFrame, names: Mapping[str, str], max_minutes: float, mode: str,
                   lang: str) -> folium.FeatureGroup:
    """The area from which each post is the quickest to reach within ``max_minutes``
    (``catchments.quickest_areas``: ``post_id``, ``population``, EPSG:4326), outlined so that
    neighbours differ; its tooltip names the post (``names``: post id -> name, from a file) and
    the people living there, in the locale's format, escaped."""
    group = folium.FeatureGroup(name=t("map_access.areas_layer", lang))
    placed = areas[areas.geometry.notna() & ~areas.geometry.is_empty]
    colours = area_colours(placed)
    styles = [{"color": c, "weight": 2, "opacity": 0.9, "fillColor": c, "fillOpacity": AREA_OPACITY}
              for c in colours]
    labels = [inert(t("map_access.area_tooltip", lang, name=names.get(p, p),
                      people=format_number(float(n), lang, 0)))
              for p, n in zip(placed["post_id"], placed["population"], strict=True)]
    shapes = _shapes(placed, {"label": labels, "style": styles})
    StyledShapes(shapes, t("map_access.areas_layer", lang), POSTS_PANE, canvas=True).add_to(group)
    LegendRows(area_legend_rows(max_minutes, mode, lang)).add_to(group)
    return group
