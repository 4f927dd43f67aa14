"""The ranked posts as GIS files (GeoPackage, GeoJSON) for QGIS and ArcGIS, in EPSG:4326.

One point per ranked post, best first, with every indicator (raw units, see the
``units`` of :func:`mapping.scoring.indicators.compute_indicators`), ``score`` (real),
``rank`` (integer), ``tied`` and ``shortlisted`` (booleans), ``explanation`` (in the bundle's
language). Field names are the machine names of the store's layers, so the file can be joined
back to them. Both files name their layer ``LAYER``, whatever the file is called.

The GeoPackage is version 1.2 (GDAL 3.6 and the QGIS builds on it warn about 1.4) and carries
the map's styling as the layer's default QGIS style (:mod:`.qgis_style`). The record is kept in
the GeoPackage layer's metadata (key ``RECORD_KEY``) and in the GeoJSON as a top-level member
``RECORD_KEY``.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pyogrio

from ..i18n import t
from .bundle import ExportBundle
from .qgis_style import rank_style_qml, save_default_style
from .record import RECORD_KEY

LAYER = "ranked_posts"
GPKG_VERSION = "1.2"


def gis_frame(bundle: ExportBundle) -> gpd.GeoDataFrame:
    """The ranked posts (EPSG:4326) with a ``shortlisted`` column when a shortlist was made."""
    frame = bundle.posts.reset_index()
    frame["post_id"] = frame["post_id"].astype(str)
    frame["rank"] = frame["rank"].astype("int32")
    frame["score"] = frame["score"].astype("float64")
    frame["tied"] = frame["tied"].astype(bool)
    if bundle.shortlist is not None:
        frame.insert(frame.columns.get_loc("rank") + 1, "shortlisted",
                     frame["post_id"].isin(bundle.shortlist.selected))
    return frame.to_crs("EPSG:4326")


def write_gpkg(bundle: ExportBundle, path: Path) -> Path:
    """One layer ``LAYER`` (EPSG:4326) in a new GeoPackage 1.2; the record in its metadata, the
    map's styling as its default QGIS style."""
    pyogrio.write_dataframe(gis_frame(bundle), path, layer=LAYER, driver="GPKG",
                            dataset_options={"VERSION": GPKG_VERSION},
                            layer_metadata={RECORD_KEY: bundle.record.to_json()})
    lang = bundle.lang
    save_default_style(path, LAYER, rank_style_qml(len(bundle.posts), lang),
                       t("export.gis.style_name", lang), t("export.gis.style_description", lang))
    return path


def write_geojson(bundle: ExportBundle, path: Path) -> Path:
    """RFC 7946 GeoJSON (EPSG:4326) named ``LAYER``; the record as the collection's member
    ``RECORD_KEY``."""
    members = json.dumps({RECORD_KEY: json.loads(bundle.record.to_json())}, ensure_ascii=False)
    pyogrio.write_dataframe(gis_frame(bundle), path, layer=LAYER, driver="GeoJSON",
                            layer_options={"RFC7946": "YES", "FOREIGN_MEMBERS_COLLECTION": members})
    return path


def read_gpkg_record(path: Path) -> str | None:
    """The record JSON in a GeoPackage written by :func:`write_gpkg` (beside ``LAYER`` it lists
    QGIS's ``layer_styles``), or None."""
    if LAYER not in {name for name, _ in pyogrio.list_layers(path)}:
        return None
    return (pyogrio.read_info(path, layer=LAYER).get("layer_metadata") or {}).get(RECORD_KEY)


def read_geojson_record(path: Path) -> str | None:
    """The record JSON in a GeoJSON file written by :func:`write_geojson`, or None."""
    with path.open(encoding="utf-8") as handle:
        member = json.load(handle).get(RECORD_KEY)
    return json.dumps(member, ensure_ascii=False) if member is not None else None
