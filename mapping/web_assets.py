"""Serve the maps' JavaScript and CSS from this machine instead of CDNs.

folium (and streamlit-folium, which loads each element's ``default_js`` and
``default_css``) would fetch Leaflet and its plugins from the internet, so a room
without a link would see an empty map. ``localise`` points every element of a map at
the copies in ``static/vendor/`` (made by ``scripts/vendor_web_assets.py``), which the
app serves at ``/app/static/`` (``.streamlit/config.toml``: ``enableStaticServing``).
"""

from __future__ import annotations

import folium
from folium.elements import JSCSSMixin

from .paths import shipped

STATIC_DIR = shipped("static", "static")
APP_STATIC_URL = "/app/static/"

# resource name (as folium and its plugins name them) -> file under static/
LOCAL_FILES: dict[str, str] = {
    "leaflet": "vendor/leaflet/leaflet.js",
    "leaflet_css": "vendor/leaflet/leaflet.css",
    "jquery": "vendor/jquery/jquery.min.js",
    "bootstrap": "vendor/bootstrap/bootstrap.bundle.min.js",
    "bootstrap_css": "vendor/bootstrap/bootstrap.min.css",
    "awesome_markers": "vendor/awesome-markers/leaflet.awesome-markers.js",
    "awesome_markers_css": "vendor/awesome-markers/leaflet.awesome-markers.css",
    "awesome_markers_font_css": "vendor/fontawesome/all.min.css",
    "markerclusterjs": "vendor/markercluster/leaflet.markercluster.js",
    "markerclustercss": "vendor/markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "vendor/markercluster/MarkerCluster.Default.css",
    "Control.Fullscreen.js": "vendor/fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": "vendor/fullscreen/Control.FullScreen.css",
    "leaflet_measure_js": "vendor/measure/leaflet-measure.js",
    "leaflet_measure_js_fr": "vendor/measure/leaflet-measure.fr.js",
    "leaflet_measure_css": "vendor/measure/leaflet-measure.css",
}
# resources the maps do without (Bootstrap 3 glyph icons, the rotated-marker style)
NOT_NEEDED = frozenset({"glyphicons_css", "awesome_rotate_css"})


class MissingLocalAsset(LookupError):
    """A map element asks for a resource that has no local copy."""


def _elements(element):
    if isinstance(element, JSCSSMixin):
        yield element
    for child in getattr(element, "_children", {}).values():
        yield from _elements(child)


def _local(resources: list[tuple[str, str]], base_url: str) -> list[tuple[str, str]]:
    local = []
    for name, url in resources:
        if name in NOT_NEEDED:
            continue
        if name not in LOCAL_FILES:
            raise MissingLocalAsset(f"{name} ({url}) has no copy in static/vendor")
        local.append((name, base_url + LOCAL_FILES[name]))
    return local


def localise(fmap: folium.Map, base_url: str = APP_STATIC_URL) -> folium.Map:
    """Point every script and stylesheet of ``fmap`` at the local copies; returns ``fmap``."""
    for element in _elements(fmap):
        element.default_js = _local(element.default_js, base_url)
        element.default_css = _local(element.default_css, base_url)
    return fmap
