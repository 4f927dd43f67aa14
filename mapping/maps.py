"""Folium map of the stored layers (EPSG:4326), with every file value shown as inert text.

The layers themselves draw the basemap (no tiles needed). Points are drawn as one
GeoJSON layer per kind, not one folium element per point, so a map with hundreds of
posts renders quickly. Every text that came from a file is escaped with ``inert``
before it reaches the page.

The app builds the map in two parts: ``base_map`` (what changes only with the store,
the language or the overlay; cached) and ``posts_layer``/``notes_layer`` (what a weight
change or a selection redraws; sent to streamlit-folium as ``feature_group_to_add`` so
the base map is not rebuilt in the browser).

Layers sit in panes, bottom to top: the country fills (the offline basemap), online tiles
when asked for, the population raster, the travel-time bands of ``access_map``, lines and
small points, then the posts above everything but tooltips and popups, so no other symbol
can hide a post or catch its click.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement, Template
from folium.map import Layer
from folium.plugins import Fullscreen, MeasureControl
from folium.utilities import JsCode

from .escape import inert
from .geo import SAHEL_BOUNDS, geodesic_m
from .i18n import t
from .palette import (
    BORDER_COLOUR,
    LAKE_COLOUR,
    LAND_COLOUR,
    NOTE_COLOURS,
    OFFICIAL_COLOUR,
    RANK_COLOURS,
    RIVER_COLOUR,
    ROAD_COLOUR,
    SELECTED_COLOUR,
    SETTLEMENT_COLOUR,
    UNOFFICIAL_COLOUR,
    UNRANKED_COLOUR,
    rank_colour,
)
from .protection.shown import COARSENED, COUNT, coarse_label
from .raster_overlay import DENSITY_STEPS, RAMP, Overlay

COORDINATE_PRECISION = 1e-5  # degrees (about 1 m): enough for a map, and a lighter page
OUTLINE_TOLERANCE = 1e-3  # degrees (about 110 m): outlines drawn simpler, invisible below zoom 11
MAX_ZOOM = 16
VIEW_MAX_ZOOM = 10  # the map opens no closer than this, even on a single post
VIEW_PADDING = (24, 24)  # pixels kept around the data the map opens on
VIEW_MIN_HALF_SPAN = 0.05  # degrees: a view of a single post shows at least this much each way
MEASURE_FR_URL = "https://cdn.jsdelivr.net/npm/leaflet-measure@3.1.0/dist/leaflet-measure.fr.js"
NAMES_ZOOM = 9  # settlement names show from this zoom level on
ROAD_TOLERANCE = 3e-3  # degrees (about 330 m): roads are drawn to be seen at zoom 6–10, not followed
MAX_ROAD_COORDINATES = 20_000  # drawn road vertices: beyond, the least important classes are left out
MAX_SETTLEMENTS = 1500  # the most populous are drawn: more dots would hide the posts and slow every page
ROAD_WEIGHTS = {"trunk": 4, "primary": 3, "secondary": 2, "tertiary": 1.5, "track": 1}
WATER_TOLERANCE = 3e-3  # degrees (about 330 m): rivers and lakes drawn, like roads, to be seen at zoom 6–10
RIVER_STYLE = {"color": RIVER_COLOUR, "weight": 1.5}
LAKE_STYLE = {"color": RIVER_COLOUR, "weight": 1, "fillColor": LAKE_COLOUR, "fillOpacity": 0.8}
POST_RADIUS = 9  # pixels
NUMBERED_RANKS = 100  # posts with their rank written on them (as many as the ranking table lists)
CLICK_TOLERANCE_M = 5.0  # a clicked symbol (at COORDINATE_PRECISION) is the post this close to it
# Leaflet panes (z-index): tiles are 200, lines and small points 400, markers 600, tooltips 650;
# travel-time bands lie over the land and raster, under every line and point
LAND_PANE, RASTER_PANE, POSTS_PANE = "bordermapLand", "bordermapRaster", "bordermapPosts"
ACCESS_PANE = "bordermapAccess"
PANES = {LAND_PANE: 150, RASTER_PANE: 250, ACCESS_PANE: 350, POSTS_PANE: 640}
POINT_STYLE = JsCode("""function (feature, latlng) {
    var p = feature.properties;
    var shape = L.circleMarker(latlng, {radius: p.radius, color: '#ffffff', weight: 1.5, pane: p.pane,
                                        renderer: bordermapCanvas(p.pane), fillColor: p.colour,
                                        fillOpacity: 0.95});
    shape.bindTooltip(p.label);  // p.label was escaped on the server (maps.inert)
    if (!p.numbered) { return shape; }
    var number = L.marker(latlng, {pane: p.pane, icon: L.divIcon({
        className: 'bordermap-rank', html: String(p.rank), iconSize: [20, 20]})});
    number.bindTooltip(p.label);
    return L.featureGroup([shape, number]);
}""")
COUNTRY_LABEL_STYLE = JsCode("""function (feature, latlng) {
    return L.marker(latlng, {interactive: false, icon: L.divIcon({
        className: 'bordermap-country', html: feature.properties.label, iconSize: [160, 20]})});
}""")
RANK_LABEL_CSS = """<style>
.bordermap-rank {color: #ffffff; font-weight: bold; font-size: 11px; line-height: 20px;
                 text-align: center; text-shadow: 0 0 2px #000000, 0 0 2px #000000;}
.bordermap-legend {background: #ffffff; padding: 4px 8px; border-radius: 4px; font-size: 11px;
                   line-height: 16px; box-shadow: 0 0 4px rgba(0,0,0,0.3); max-width: 250px;}
.bordermap-legend summary {cursor: pointer; font-weight: bold;}
.bordermap-legend i {display: inline-block; width: 12px; height: 12px; margin-right: 6px;
                     border-radius: 6px; vertical-align: middle;}
.bordermap-legend i.bordermap-line {border-radius: 0; height: 3px;}
.bordermap-legend i.bordermap-ring {background: transparent; border: 3px solid #08519c; width: 8px;
                                    height: 8px;}
.bordermap-legend i.bordermap-square {border-radius: 0;}
.bordermap-country {color: #6b6b6b; font-size: 13px; font-style: italic; text-align: center;
                    text-transform: uppercase; letter-spacing: 1px; white-space: nowrap;}
.bordermap-place {background: transparent; border: none; box-shadow: none; padding: 0 2px;
                  font-size: 11px; color: #222222; text-shadow: 0 0 3px #ffffff;}
.bordermap-place::before {display: none;}
.bordermap-far .bordermap-place {display: none;}
.bordermap-tip {white-space: normal; width: max-content; max-width: 220px;}
</style>"""


def _outline(layer: gpd.GeoDataFrame, tolerance: float = OUTLINE_TOLERANCE) -> gpd.GeoSeries:
    """Lines and polygons for display, simplified to ``tolerance`` (degrees)."""
    shapes = shapely.simplify(layer.geometry.values, tolerance, preserve_topology=True)
    return gpd.GeoSeries(shapely.set_precision(shapes, tolerance / 3), crs=layer.crs)


class RawScript(Element):
    """Script text put on the page as it is. folium compiles every element's script as a Jinja
    template when the page renders, which for megabytes of map data costs seconds per rerun."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


def _render_raw(element: MacroElement, kwargs: dict) -> str:
    """Add ``element``'s script macro to the page as plain text (``RawScript``)."""
    script = element._template.module.script(element, kwargs)
    cast(Figure, element.get_root()).script.add_child(RawScript(script), name=element.get_name())
    return ""


class PreparedLayer(Layer):
    """A layer whose script (data included) is added to the page as plain text (``RawScript``);
    the script adds the layer to its parent itself."""

    def render(self, **kwargs) -> str:
        return _render_raw(self, kwargs)


class PreparedMacro(MacroElement):
    """A map element with only a script, added to the page as plain text: the map is rendered
    at every rerun, and folium would compile each script as a Jinja template again."""

    def render(self, **kwargs) -> str:
        return _render_raw(self, kwargs)


class GeoJsonText(PreparedLayer):
    """A GeoJSON layer serialised once, when built, instead of at every render as
    ``folium.GeoJson`` does: the app renders its cached base map on every rerun, so a large
    layer would otherwise be converted to JSON again each time a weight moves.

    ``frame``: a layer, or its GeoJSON text. ``point_to_layer`` is JavaScript (a function);
    ``style`` a Leaflet path style; ``pane`` the Leaflet pane the layer is drawn in (default:
    the overlay pane).
    """

    _template = Template("""{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.geoJson({{ this.data }}, {{ this.options }});
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% endmacro %}""")

    def __init__(self, frame: gpd.GeoDataFrame | str, name: str, *, style: dict | None = None,
                 point_to_layer: JsCode | None = None, control: bool = True, pane: str | None = None,
                 interactive: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=control)
        self._name = "GeoJson"
        # labels are already HTML-escaped (inert); "</" is escaped too, so no text ends the script
        text = frame if isinstance(frame, str) else frame.to_json(drop_id=True)
        self.data = text.replace("</", "<\\/")
        options = [f"style: {json.dumps(style)}"] if style else []
        if point_to_layer is not None:
            options.append(f"pointToLayer: {point_to_layer.js_code}")
        if pane is not None:
            options.append(f"pane: {json.dumps(pane)}")
        if not interactive:
            options.append("interactive: false")
        self.options = "{" + ", ".join(options) + "}"


class CountriesLayer(PreparedLayer):
    """Countries drawn once as data, twice on the map: filled in the land pane (the offline
    basemap, under tiles and raster) and outlined above them, as one entry of the layer list."""

    _template = Template("""{% macro script(this, kwargs) %}
var {{ this.get_name() }}_data = {{ this.data }};
var {{ this.get_name() }} = L.featureGroup([
    L.geoJson({{ this.get_name() }}_data, {pane: {{ this.land_pane }}, interactive: false,
                                            style: {{ this.fill }}}),
    L.geoJson({{ this.get_name() }}_data, {interactive: false, style: {{ this.outline }}})]);
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% endmacro %}""")

    def __init__(self, countries: gpd.GeoDataFrame, name: str) -> None:
        super().__init__(name=name, overlay=True, control=True)
        self._name = "Countries"
        shapes = gpd.GeoDataFrame(geometry=_outline(countries))
        self.data = shapes[~shapes.geometry.is_empty].to_json(drop_id=True)
        self.land_pane = json.dumps(LAND_PANE)
        self.fill = json.dumps({"stroke": False, "fillColor": LAND_COLOUR, "fillOpacity": 1.0})
        self.outline = json.dumps({"color": "#888888", "weight": 1, "fill": False})


class RasterOverlay(PreparedLayer):
    """The population raster as an image over ``bounds`` (``[[south, west], [north, east]]``,
    degrees) in the raster pane, ``opacity`` 0–1; its data URL put on the page as text."""

    _template = Template("""{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.imageOverlay({{ this.url }}, {{ this.bounds }},
    {opacity: {{ this.opacity }}, pane: {{ this.pane }}, interactive: false});
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% endmacro %}""")

    def __init__(self, overlay: Overlay, opacity: float, name: str) -> None:
        super().__init__(name=name, overlay=True, control=True)
        self._name = "RasterOverlay"
        self.url, self.bounds = json.dumps(overlay.url), json.dumps(overlay.bounds)
        self.opacity, self.pane = json.dumps(float(opacity)), json.dumps(RASTER_PANE)


def point_rows(points: gpd.GeoDataFrame, labels: list[str], radius: np.ndarray | float) -> str:
    """Points as compact JSON rows ``[lat, lon, label, radius]`` (degrees to 5 decimals; label
    escaped with ``inert``; radius in pixels), those without a position left out."""
    placed = points.geometry.notna().to_numpy() & ~points.geometry.is_empty.to_numpy()
    xy = shapely.get_coordinates(points.geometry.values[placed]).round(5)
    radii = np.broadcast_to(np.asarray(radius, dtype=float), (len(points),))[placed].round(1)
    rows = [[y, x, label, r] for (x, y), label, r in
            zip(xy.tolist(), np.asarray(labels, dtype=object)[placed], radii.tolist(), strict=True)]
    return json.dumps(rows, ensure_ascii=False)


class PointsText(PreparedLayer):
    """Many points drawn the same way, sent as compact rows (``point_rows``) rather than GeoJSON
    features, a third of the size: thousands of crossings or settlements stay light on every
    rerun. ``marker`` is a JavaScript function of one row returning a Leaflet layer.
    """

    _template = Template("""{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.featureGroup({{ this.data }}.map({{ this.marker }}));
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% endmacro %}""")

    def __init__(self, rows: str, name: str, marker: str) -> None:
        super().__init__(name=name, overlay=True, control=True)
        self._name = "Points"
        self.data = rows.replace("</", "<\\/")
        self.marker = marker


def _dot_marker(colour: str) -> str:
    """JavaScript: a row to a dot of ``colour`` (on the overlay pane's canvas) with its label as tooltip."""
    return ("function (r) { return L.circleMarker([r[0], r[1]], {radius: r[3], color: '#ffffff', weight: 1, "
            f"renderer: bordermapCanvas('overlayPane'), fillColor: {json.dumps(colour)}, fillOpacity: 0.95}})"
            ".bindTooltip(r[2]); }")


PLACE_MARKER = ("function (r) { return L.circleMarker([r[0], r[1]], {radius: r[3], color: '#ffffff', "
                f"weight: 0.5, renderer: bordermapCanvas('overlayPane'), fillColor: '{SETTLEMENT_COLOUR}', "
                "fillOpacity: 0.7}).bindTooltip(r[2], {permanent: true, direction: 'right', "
                "className: 'bordermap-place'}); }")


def _outline_layer(layer: gpd.GeoDataFrame, name: str, style: dict,
                   tolerance: float = OUTLINE_TOLERANCE) -> GeoJsonText:
    shapes = gpd.GeoDataFrame(geometry=_outline(layer, tolerance))
    shapes = shapes[~shapes.geometry.is_empty]
    return GeoJsonText(shapes, name, style=style, interactive=False)


def _point_layer(layer: gpd.GeoDataFrame, name: str, labels: list[str], colours: list[str], radius: float,
                 ranks: list[int | None] | None = None, pane: str = "overlayPane") -> GeoJsonText:
    """The points of ``layer`` drawn by ``POINT_STYLE`` with their ``labels`` (escaped),
    ``colours`` and ``ranks`` in ``pane``; the first ranked drawn last, on top. Written
    straight to GeoJSON (degrees, at ``COORDINATE_PRECISION``): this layer is rebuilt at every
    weight change."""
    placed = np.flatnonzero(layer.geometry.notna().to_numpy() & ~layer.geometry.is_empty.to_numpy())
    rank = [None if ranks is None else ranks[i] for i in range(len(layer))]
    placed = placed[np.argsort([-(rank[i] or np.inf) for i in placed], kind="stable")]
    xy = shapely.get_coordinates(layer.geometry.values[placed]).round(5)
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
                 "properties": {"label": labels[i], "colour": colours[i], "radius": radius, "pane": pane,
                                "rank": rank[i], "numbered": (rank[i] or np.inf) <= NUMBERED_RANKS}}
                for i, (x, y) in zip(placed.tolist(), xy.tolist(), strict=True)]
    return GeoJsonText(json.dumps({"type": "FeatureCollection", "features": features}), name,
                       point_to_layer=POINT_STYLE)


class Panes(PreparedMacro):
    """The map's own panes (``PANES``: name -> z-index), created before any layer is added, and
    ``bordermapCanvas(pane)``: one canvas per pane on which thousands of points stay light."""

    _template = Template("""{% macro script(this, kwargs) %}
window.bordermapCanvas = function (pane) {
    var all = window.bordermapCanvases = window.bordermapCanvases || {};
    return all[pane] || (all[pane] = L.canvas({pane: pane}));
};
(function (map) {
    var panes = {{ this.panes_json }};
    Object.keys(panes).forEach(function (name) {
        if (!map.getPane(name)) { map.createPane(name).style.zIndex = panes[name]; }
    });
    map.getPane({{ this.raster_json }}).style.pointerEvents = 'none';
    map.getPane({{ this.land_json }}).style.pointerEvents = 'none';
})({{ this._parent.get_name() }});
{% endmacro %}""")

    def __init__(self) -> None:
        super().__init__()
        self._name = "Panes"
        self.panes_json = json.dumps(PANES)
        self.raster_json, self.land_json = json.dumps(RASTER_PANE), json.dumps(LAND_PANE)


class StillPage(PreparedMacro):
    """A click on the map focuses it (for keyboard panning) without scrolling the page: the
    map is in a frame, and Leaflet's focus would scroll the app page under the pointer between
    the press and the release, so the click would miss the post it was aimed at."""

    _template = Template("""{% macro script(this, kwargs) %}
(function (keyboard) {
    if (!keyboard) { return; }
    keyboard.disable();
    keyboard._onMouseDown = function () {
        if (!this._focused) { this._map._container.focus({preventScroll: true}); }
    };
    keyboard.enable();
})({{ this._parent.get_name() }}.keyboard);
{% endmacro %}""")

    def __init__(self) -> None:
        super().__init__()
        self._name = "StillPage"


class MetricScale(PreparedMacro):
    """The scale bar, in metres and kilometres only."""

    _template = Template("""{% macro script(this, kwargs) %}
L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
{% endmacro %}""")

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


class Legend(PreparedMacro):
    """The legend (bottom right, folds away to its title) and the zoom rule that shows
    settlement names up close.

    The template is a class attribute, as in folium's own elements, so that a copied map
    (the app copies its cached base map) still renders it.
    """

    _template = Template("""{% macro script(this, kwargs) %}
(function (map) {
    var legend = L.control({position: 'bottomright'});
    legend.onAdd = function () {
        var div = L.DomUtil.create('div', 'bordermap-legend');
        div.innerHTML = {{ this.body_json }};
        L.DomEvent.disableClickPropagation(div);
        var details = div.querySelector('details');
        try {  // folded or not as the user left it, across reruns and pages
            details.open = window.localStorage.getItem('bordermap-legend') !== 'folded';
            details.addEventListener('toggle', function () {
                window.localStorage.setItem('bordermap-legend', details.open ? 'open' : 'folded');
            });
        } catch (e) {}
        return div;
    };
    legend.addTo(map);
    function names() {
        map.getContainer().classList.toggle('bordermap-far', map.getZoom() < {{ this.names_zoom }});
    }
    map.on('zoomend', names);
    names();
})({{ this._parent.get_name() }});
{% endmacro %}""")

    def __init__(self, body: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.body_json = json.dumps(body)  # built from the catalogues and constants only
        self.names_zoom = NAMES_ZOOM


def prepared_roads(roads: gpd.GeoDataFrame) -> tuple[list[tuple[str, str]], list[str]]:
    """One merged, simplified line per road class as GeoJSON text (degrees), most important
    class first, while the map stays under ``MAX_ROAD_COORDINATES``; and the classes left out
    (drawn in GIS tools): once a class is left out, so are the less important ones."""
    drawn: list[tuple[str, str]] = []
    hidden: list[str] = []
    count_drawn = 0
    classes = sorted(roads["road_class"].dropna().unique(), key=lambda c: -ROAD_WEIGHTS.get(c, 0))
    for road_class in classes:
        if not hidden:
            lines = shapely.get_parts(roads.loc[roads["road_class"] == road_class].geometry.dropna().values)
            merged = gpd.GeoDataFrame(geometry=[shapely.line_merge(shapely.MultiLineString(list(lines)))],
                                      crs=roads.crs)
            shapes = _outline(merged, ROAD_TOLERANCE)
            count = int(shapely.get_num_coordinates(shapes.values).sum())
        if hidden or count_drawn + count > MAX_ROAD_COORDINATES:
            hidden.append(str(road_class))
            continue
        count_drawn += count
        drawn.append((str(road_class), gpd.GeoDataFrame(geometry=shapes).to_json(drop_id=True)))
    return drawn, hidden


def _road_layers(roads: list[tuple[str, str]], group: folium.FeatureGroup) -> None:
    """The prepared road classes (``prepared_roads``) drawn in ``group``."""
    for road_class, text in roads:
        GeoJsonText(text, road_class, interactive=False,
                    style={"color": ROAD_COLOUR, "weight": ROAD_WEIGHTS.get(road_class, 1)}).add_to(group)


def _legend_rows(lang: str, with_population: bool, hidden_roads: list[str], notes: bool,
                 water: tuple[str, ...] = (), page_symbols: tuple[str, ...] | None = None) -> list[str]:
    """One row per symbol drawn on the map (the posts' map, or with ``notes`` the delegate notes'
    map; ``water``: the kinds among rivers and lakes that are drawn; ``page_symbols``: the rows of a
    page's own symbols, in place of the posts' ranks), from the catalogues and constants only."""
    ranks = "".join(f"<i style='background:{c};margin-right:0'></i>" for c in RANK_COLOURS)
    posts = [f"{ranks} {t('map.legend.rank_scale', lang)}",
             f"<i style='background:{UNRANKED_COLOUR}'></i>{t('map.legend.unranked', lang)}",
             f"<i class='bordermap-ring'></i>{t('map.legend.selected', lang)}"]
    rows = list(page_symbols) if page_symbols is not None else [] if notes else posts
    rows += [f"<i style='background:{OFFICIAL_COLOUR};width:10px;height:10px'></i>"
             f"{t('map.legend.official', lang)}",
             f"<i style='background:{UNOFFICIAL_COLOUR};width:8px;height:8px'></i>"
             f"{t('map.legend.unofficial', lang)}",
             f"<i style='background:{SETTLEMENT_COLOUR};opacity:0.7'></i>{t('map.legend.settlements', lang)}",
             f"<i class='bordermap-line' style='background:{ROAD_COLOUR}'></i>{t('kinds.roads', lang)}",
             f"<i class='bordermap-line' style='background:{BORDER_COLOUR}'></i>{t('kinds.borders', lang)}",
             f"<i class='bordermap-square' style='background:{LAND_COLOUR};border:1px solid #888888'></i>"
             f"{t('kinds.countries', lang)}"]
    symbols = {"rivers": f"<i class='bordermap-line' style='background:{RIVER_COLOUR}'></i>",
               "lakes": f"<i class='bordermap-square' style='background:{LAKE_COLOUR};"
                        f"border:1px solid {RIVER_COLOUR}'></i>"}
    rows[-2:-2] = [symbols[kind] + t(f"kinds.{kind}", lang) for kind in water]  # before borders
    if notes:
        rows += [f"<i style='background:{colour}'></i>"
                 f"{t('map.legend.note', lang, kind=t(f'notes.kinds.{kind}', lang))}"
                 for kind, colour in NOTE_COLOURS.items()]
    if hidden_roads:
        classes = ", ".join(t(f"values.{c}", lang) for c in hidden_roads)
        rows.append(t("map.legend.roads_hidden", lang, classes=classes))
    if with_population:
        ramp = "".join(f"<i class='bordermap-square' style='background:rgb{tuple(int(c) for c in colour)};"
                       f"margin-right:0'></i>" for colour in RAMP)
        low, high = DENSITY_STEPS[0], DENSITY_STEPS[-1]
        rows.append(f"{ramp} {t('map.legend.population', lang, low=low, high=high)}")
    return rows


def _legend(lang: str, with_population: bool, hidden_roads: list[str], notes: bool,
            water: tuple[str, ...] = (), symbols: tuple[str, ...] | None = None) -> Legend:
    rows = _legend_rows(lang, with_population, hidden_roads, notes, water, symbols)
    return Legend(f"<details open><summary>{t('map.legend.title', lang)}</summary>" + "<br>".join(rows)
                  + "</details>")


def _country_names(countries: gpd.GeoDataFrame, lang: str) -> GeoJsonText:
    column = "name_fr" if lang == "fr" else "name_en"
    shapes = _outline(countries)
    shown = ~shapes.is_empty.to_numpy()
    labels = gpd.GeoDataFrame({"label": [inert(n) for n in countries.loc[shown, column]]},
                              geometry=shapes[shown].representative_point().values, crs=countries.crs)
    return GeoJsonText(labels, t("map.country_names", lang), point_to_layer=COUNTRY_LABEL_STYLE,
                       control=False)


def settlement_radius(population: pd.Series) -> np.ndarray:
    """Marker radius in pixels: area grows with population (3 px unknown, 14 px from a million)."""
    people = pd.to_numeric(population, errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(people), np.clip(2 + np.sqrt(np.nan_to_num(people)) / 83, 2, 14), 3)


def _settlement_rows(settlements: gpd.GeoDataFrame) -> str:
    """The ``MAX_SETTLEMENTS`` most populous settlements (those without a population last) as rows."""
    people = pd.to_numeric(settlements["population"], errors="coerce").fillna(-1).to_numpy()
    shown = settlements.iloc[np.argsort(-people, kind="stable")[:MAX_SETTLEMENTS]]
    return point_rows(shown, [inert(n) for n in shown["name"]], settlement_radius(shown["population"]))


CROSSING_SYMBOLS = {"unofficial": (UNOFFICIAL_COLOUR, 4), "official": (OFFICIAL_COLOUR, 5)}  # colour, px


@dataclass(frozen=True)
class MapLayers:
    """The base map's large layers, prepared once per version of their layers: page-ready text in
    degrees that does not depend on the language (``prepare_map_layers``). ``roads``: (road
    class, GeoJSON text) most important first (None without a roads layer); ``hidden_roads``:
    the classes left out; ``settlements`` and ``crossings`` (by kind, ``CROSSING_SYMBOLS``):
    ``point_rows`` text; ``rivers`` and ``lakes``: GeoJSON text (None without the layer)."""

    roads: tuple[tuple[str, str], ...] | None = None  # None: no roads layer
    hidden_roads: tuple[str, ...] = ()
    settlements: str | None = None
    crossings: tuple[tuple[str, str], ...] = ()
    rivers: str | None = None
    lakes: str | None = None

    def as_dict(self) -> dict:
        return {"roads": None if self.roads is None else [list(r) for r in self.roads],
                "hidden_roads": list(self.hidden_roads),
                "settlements": self.settlements, "crossings": [list(c) for c in self.crossings],
                "rivers": self.rivers, "lakes": self.lakes}

    @classmethod
    def from_dict(cls, data: dict) -> MapLayers:
        """The layers saved by ``as_dict``; ``ValueError`` when ``data`` is not such a record."""
        roads = None if data["roads"] is None else tuple((str(c), str(text)) for c, text in data["roads"])
        crossings = tuple((str(k), str(text)) for k, text in data["crossings"])
        settlements, rivers, lakes = data["settlements"], data["rivers"], data["lakes"]
        if not all(isinstance(name, str) for name in data["hidden_roads"]) or not all(
                text is None or isinstance(text, str) for text in (settlements, rivers, lakes)) or not {
                k for k, _ in crossings} <= set(CROSSING_SYMBOLS):
            raise ValueError("not a record of map layers")
        return cls(roads, tuple(data["hidden_roads"]), settlements, crossings, rivers, lakes)


def _water_text(layer: gpd.GeoDataFrame | None) -> str | None:
    """Rivers or lakes simplified to ``WATER_TOLERANCE`` as GeoJSON text (degrees), or None."""
    if layer is None:
        return None
    shapes = gpd.GeoDataFrame(geometry=_outline(layer, WATER_TOLERANCE))
    return shapes[~(shapes.geometry.is_empty | shapes.geometry.isna())].to_json(drop_id=True)


def prepare_map_layers(layers: dict[str, gpd.GeoDataFrame], lang: str = "en") -> MapLayers:
    """Roads, settlements, crossings, rivers and lakes of ``layers`` (EPSG:4326) as page-ready text;
    a crossing coarsened for the viewer (``mapping.protection.shown``) is labelled so in ``lang``."""
    roads, hidden = prepared_roads(layers["roads"]) if layers.get("roads") is not None else (None, [])
    settlements = layers.get("settlements")
    crossings = layers.get("crossings")
    rows = []
    if crossings is not None and not crossings.empty:
        for kind, (_, radius) in CROSSING_SYMBOLS.items():
            chosen = crossings[(crossings["kind"] == "official") == (kind == "official")]
            labels = [inert(n or i) for n, i in zip(chosen["name"], chosen["crossing_id"], strict=True)]
            if COARSENED in chosen:
                labels = [coarse_label(int(count), lang) if coarse else text for text, coarse, count
                          in zip(labels, chosen[COARSENED], chosen[COUNT], strict=True)]
            rows.append((kind, point_rows(chosen, labels, radius)))
    shown = _settlement_rows(settlements) if settlements is not None and not settlements.empty else None
    return MapLayers(None if roads is None else tuple(roads), tuple(hidden), shown, tuple(rows),
                     _water_text(layers.get("rivers")), _water_text(layers.get("lakes")))


def base_map(layers: Mapping[str, gpd.GeoDataFrame], lang: str, overlay: Overlay | None = None,
             opacity: float = 0.6, tiles: str | None = None, notes: bool = False,
             prepared: MapLayers | None = None,
             view: tuple[float, float, float, float] | None = None,
             symbols: tuple[str, ...] | None = None) -> folium.Map:
    """Everything but the posts: countries with names, lakes, rivers, borders, roads by class, settlements
    sized by population, crossings, the population overlay (``opacity`` 0–1), legend (with the
    kinds of delegate notes when ``notes``), metric scale bar, full screen and distance measure.
    ``tiles``: an optional online basemap. The layer list is added by ``layer_control``.
    ``prepared``: roads, settlements, crossings, rivers and lakes already prepared (``prepare_map_layers``);
    when given, only the countries and borders of ``layers`` are read.
    ``view``: what the map opens on (west, south, east, north in degrees; ``project.view_bounds``),
    else the G5 Sahel region. ``symbols``: legend rows (HTML from catalogues and constants) of the
    symbols a page adds, in place of the posts' ranks."""
    if prepared is None:
        prepared = prepare_map_layers(dict(layers))
    west, south, east, north = view or SAHEL_BOUNDS
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=5, tiles=None,
                      control_scale=False)
    fit_view(fmap, (west, south, east, north))
    fmap.options["maxZoom"] = MAX_ZOOM
    Panes().add_to(fmap)
    StillPage().add_to(fmap)
    if tiles is not None:
        folium.TileLayer(tiles, name=t("map.online_tiles", lang)).add_to(fmap)
    if (countries := layers.get("countries")) is not None:
        CountriesLayer(countries, t("kinds.countries", lang)).add_to(fmap)
    if overlay is not None:
        RasterOverlay(overlay, opacity, t("map.population", lang)).add_to(fmap)
    if countries is not None:
        _country_names(countries, lang).add_to(fmap)
    water = (("lakes", prepared.lakes, LAKE_STYLE), ("rivers", prepared.rivers, RIVER_STYLE))
    for kind, text, style in water:
        if text is not None:  # under the borders, roads and points; the posts are in a pane above
            GeoJsonText(text, t(f"kinds.{kind}", lang), style=style, interactive=False).add_to(fmap)
    if (borders := layers.get("borders")) is not None:
        _outline_layer(borders, t("kinds.borders", lang),
                       {"color": BORDER_COLOUR, "weight": 2.5, "dashArray": "6 4"}).add_to(fmap)
    if prepared.roads is not None:
        group = folium.FeatureGroup(name=t("kinds.roads", lang))
        group.add_to(fmap)
        _road_layers(list(prepared.roads), group)
    if prepared.settlements is not None:
        PointsText(prepared.settlements, t("kinds.settlements", lang), PLACE_MARKER).add_to(fmap)
    for kind, rows in prepared.crossings:
        marker = _dot_marker(CROSSING_SYMBOLS[kind][0])
        PointsText(rows, t(f"map.{kind}_crossings", lang), marker).add_to(fmap)
    Fullscreen(title=t("map.fullscreen", lang), title_cancel=t("map.fullscreen_exit", lang)).add_to(fmap)
    measure = MeasureControl(primary_length_unit="kilometers", secondary_length_unit="",
                             primary_area_unit="sqkilometers", secondary_area_unit="")
    if lang == "fr":  # the plugin's French build (served locally by web_assets.localise)
        measure.default_js = [("leaflet_measure_js_fr", MEASURE_FR_URL)]
    measure.add_to(fmap)
    MetricScale().add_to(fmap)
    drawn = tuple(kind for kind, text, _ in reversed(water) if text is not None)
    _legend(lang, overlay is not None, list(prepared.hidden_roads), notes, drawn, symbols).add_to(fmap)
    root = cast(Figure, fmap.get_root())
    root.header.add_child(Element(RANK_LABEL_CSS), name="bordermap_css")  # st_folium keeps the header
    return fmap


def layer_control() -> folium.LayerControl:
    """The list of layers, posts included: streamlit-folium builds it after adding the posts."""
    return folium.LayerControl(collapsed=True)


def posts_layer(posts: gpd.GeoDataFrame, lang: str, ranks: dict[str, int] | None = None,
                selected: str | None = None, radius_km: float | None = None) -> folium.FeatureGroup:
    """Posts coloured by rank (red first, green last), the first ``NUMBERED_RANKS`` with their rank
    written on them, in the posts pane above every other symbol and the first ranked drawn last
    (on top); the ``selected`` post ringed, with its catchment circle of ``radius_km`` (geodesic
    km)."""
    group = folium.FeatureGroup(name=t("kinds.posts", lang))
    if posts.empty:
        return group
    ranked = ranks or {}
    post_ranks = [ranked.get(p) for p in posts["post_id"]]
    labels = [inert(f"{r}. {n}" if r else n) for r, n in zip(post_ranks, posts["name"], strict=True)]
    colours = [rank_colour(r, len(ranked)) if ranked else UNRANKED_COLOUR for r in post_ranks]
    name = t("kinds.posts", lang)
    _point_layer(posts, name, labels, colours, POST_RADIUS, post_ranks, POSTS_PANE).add_to(group)
    chosen = posts[(posts["post_id"] == selected) & posts.geometry.notna()]
    if len(chosen):
        point = chosen.geometry.iloc[0]
        if radius_km:
            folium.Circle([point.y, point.x], radius=radius_km * 1000, color=SELECTED_COLOUR, weight=2,
                          fill=True, fill_opacity=0.08, interactive=False).add_to(group)
        folium.CircleMarker([point.y, point.x], radius=POST_RADIUS + 5, color=SELECTED_COLOUR, weight=3,
                            fill=False, interactive=False, pane=POSTS_PANE).add_to(group)
    return group


def nearest_post(posts: gpd.GeoDataFrame, lat: float, lon: float) -> tuple[str, float] | None:
    """The id of the post nearest to ``lat``, ``lon`` (degrees) and its geodesic distance in
    metres (WGS84), or None when no post has a position."""
    placed = posts[posts.geometry.notna() & ~posts.geometry.is_empty]
    if placed.empty:
        return None
    distance = geodesic_m(placed.geometry.x.to_numpy(), placed.geometry.y.to_numpy(),
                          np.full(len(placed), lon), np.full(len(placed), lat))
    nearest = int(np.argmin(distance))
    return str(placed["post_id"].iloc[nearest]), float(distance[nearest])


def post_at(posts: gpd.GeoDataFrame, lat: float, lon: float) -> str | None:
    """The id of the post drawn where a map symbol was clicked (``lat``, ``lon`` in degrees, as
    the map sends them: rounded to ``COORDINATE_PRECISION``), or None when no post is there."""
    found = nearest_post(posts, lat, lon)
    return found[0] if found and found[1] <= CLICK_TOLERANCE_M else None


def notes_layer(notes: gpd.GeoDataFrame, lang: str) -> folium.FeatureGroup:
    """Delegate notes as dots coloured by kind, with author, organisation and text (escaped)."""
    group = folium.FeatureGroup(name=t("map.notes", lang))
    labels = [inert(f"{t(f'notes.kinds.{k}', lang)} — {a} ({o}): {x}")
              for k, a, o, x in zip(notes["kind"], notes["author"], notes["organisation"], notes["text"],
                                    strict=True)]
    colours = [NOTE_COLOURS.get(k, UNRANKED_COLOUR) for k in notes["kind"]]
    _point_layer(notes, t("map.notes", lang), labels, colours, 7, pane=POSTS_PANE).add_to(group)
    return group



def fit_view(fmap: folium.Map, bounds: tuple[float, float, float, float]) -> None:
    """Open ``fmap`` on ``bounds`` (west, south, east, north in degrees, EPSG:4326), with
    ``VIEW_PADDING`` around and no closer than ``VIEW_MAX_ZOOM``; the last call wins. Bounds of
    one point are widened by ``VIEW_MIN_HALF_SPAN`` each way (Leaflet cannot fit an empty box)."""
    west, south, east, north = bounds
    if east - west < 2 * VIEW_MIN_HALF_SPAN and north - south < 2 * VIEW_MIN_HALF_SPAN:
        (west, east), (south, north) = ((low - VIEW_MIN_HALF_SPAN, high + VIEW_MIN_HALF_SPAN)
                                        for low, high in ((west, east), (south, north)))
    fmap.fit_bounds([[south, west], [north, east]], padding=VIEW_PADDING, max_zoom=VIEW_MAX_ZOOM)
