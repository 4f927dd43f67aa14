"""The ranked posts as GIS files (GeoPackage, GeoJSON) for QGIS and ArcGIS, in EPSG:4326.

One point per ranked post, best first, with every indicator (raw units, see the
``units`` of :func:`mapping.scoring.indicators.compute_indicators`), ``score``, ``rank``,
``explanation`` (in the bundle's language) and ``shortlisted``. Field names are the
machine names of the store's layers, so the file can be joined back to them.
The record is kept in the GeoPackage layer's metadata (key ``RECORD_KEY``) and in the
GeoJSON as a top-level member ``RECORD_KEY``.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pyogrio

from .bundle import ExportBundle
from .record import RECORD_KEY

LAYER = "ranked_posts"


def gis_frame(bundle: ExportBundle) -> gpd.GeoDataFrame:
    """The ranked posts with a ``shortlisted`` column when a shortlist was made."""
    frame = bundle.posts.reset_index()
    frame["post_id"] = frame["post_id"].astype(str)
    frame["tied"] = frame["tied"].astype(bool)
    if bundle.shortlist is not None:
        frame.insert(frame.columns.get_loc("rank") + 1, "shortlisted",
                     frame["post_id"].isin(bundle.shortlist.selected))
    return frame.to_crs("EPSG:4326")


def write_gpkg(bundle: ExportBundle, path: Path) -> Path:
    """One layer ``LAYER`` in a new file; the record in its metadata."""
    pyogrio.write_dataframe(gis_frame(bundle), path, layer=LAYER, driver="GPKG",
                            layer_metadata={RECORD_KEY: bundle.record.to_json()})
    return path


def write_geojson(bundle: ExportBundle, path: Path) -> Path:
    """RFC 7946 GeoJSON; the record as the collection's member ``RECORD_KEY``."""
    members = json.dumps({RECORD_KEY: json.loads(bundle.record.to_json())}, ensure_ascii=False)
    pyogrio.write_dataframe(gis_frame(bundle), path, driver="GeoJSON", RFC7946="YES",
                            FOREIGN_MEMBERS_COLLECTION=members)
    return path


def read_gpkg_record(path: Path) -> str | None:
    """The record JSON in a GeoPackage written by :func:`write_gpkg`, or None."""
    if LAYER not in {name for name, _ in pyogrio.list_layers(path)}:
        return None
    return (pyogrio.read_info(path, layer=LAYER).get("layer_metadata") or {}).get(RECORD_KEY)


def read_geojson_record(path: Path) -> str | None:
    """The record JSON in a GeoJSON file written by :func:`write_geojson`, or None."""
    with path.open(encoding="utf-8") as handle:
        member = json.load(handle).get(RECORD_KEY)
    return json.dumps(member, ensure_ascii=False) if member is not None else None
