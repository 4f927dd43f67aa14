"""Maps load every script and stylesheet from this machine, never from the internet."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path

import folium
import pyogrio
import pytest
from folium.plugins import Fullscreen, MarkerCluster, MeasureControl

from mapping.layers.schema import KINDS, with_schema_types
from mapping.maps import base_map, posts_layer
from mapping.web_assets import STATIC_DIR, MissingLocalAsset, localise

ROOT = Path(__file__).resolve().parents[1]


def demo_layers() -> dict:
    gpkg = ROOT / "data" / "geo" / "demo.gpkg"
    return {k: with_schema_types(pyogrio.read_dataframe(gpkg, layer=k), KINDS[k])
            for k in ("countries", "borders", "roads", "crossings", "posts")}


def test_a_map_with_plugins_refers_only_to_local_files():
    layers = demo_layers()
    fmap = base_map(layers, "fr")
    posts_layer(layers["posts"], "fr", {"MRT-KOB": 1}).add_to(fmap)
    MarkerCluster().add_to(fmap)
    Fullscreen().add_to(fmap)
    MeasureControl().add_to(fmap)
    html = localise(fmap).get_root().render()
    urls = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert urls, "the page should load Leaflet"
    assert not [u for u in urls if "://" in u or u.startswith("//")]
    for url in urls:
        assert (STATIC_DIR / url.removeprefix("/app/static/")).is_file(), url


def test_an_element_without_a_local_copy_is_refused():
    fmap = folium.Map()
    fmap.default_js = [*fmap.default_js, ("mystery", "https://example.org/mystery.js")]
    with pytest.raises(MissingLocalAsset):
        localise(fmap)


def test_vendored_files_match_their_manifest_and_the_app_serves_them():
    manifest = json.loads((STATIC_DIR / "vendor" / "MANIFEST.json").read_text(encoding="utf-8"))
    for package in manifest.values():
        assert package["license"]
        for name, digest in package["files"].items():
            assert hashlib.sha256((STATIC_DIR / "vendor" / name).read_bytes()).hexdigest() == digest
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableStaticServing"] is True
    assert config["browser"]["gatherUsageStats"] is False
