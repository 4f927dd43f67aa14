"""One entry point for every export format, used by ``bordermap export`` and the app.

The format is the file's suffix unless given. CSV writes its record beside the file
(``<name>.record.json``); every other format carries it inside (see each writer).
"""

from __future__ import annotations

from pathlib import Path

from .bundle import ExportBundle
from .csv_table import write_csv
from .errors import ExportError
from .gis import write_geojson, write_gpkg
from .kml import write_kml
from .workbook import write_xlsx

FORMATS = ("csv", "xlsx", "gpkg", "geojson", "kml", "kmz", "pdf", "html")
SUFFIXES = {"json": "geojson", "htm": "html"}


def export_format(path: Path, fmt: str | None = None) -> str:
    """The format asked for, or the one named by the file's suffix; refused when unknown."""
    suffix = path.suffix.lower().lstrip(".")
    chosen = (fmt or SUFFIXES.get(suffix, suffix)).lower()
    if chosen not in FORMATS:
        raise ExportError("unknown_format", format=fmt or path.suffix or "-", formats=", ".join(FORMATS))
    return chosen


def write_export(bundle: ExportBundle, path: str | Path, fmt: str | None = None, *,
                 hxl: bool = False) -> Path:
    """Write ``bundle`` to ``path`` as ``fmt`` (default: from the suffix); ``hxl`` adds the
    HXL hashtag row to CSV. Returns the path written."""
    path = Path(path)
    fmt = export_format(path, fmt)
    if fmt in ("pdf", "html"):
        from .report import write_report  # the report needs plotting libraries: load them only here

        return write_report(bundle, path, fmt)
    if fmt == "csv":
        return write_csv(bundle, path, hxl=hxl)
    if fmt in ("kml", "kmz"):
        return write_kml(bundle, path, zipped=fmt == "kmz")
    writers = {"xlsx": write_xlsx, "gpkg": write_gpkg, "geojson": write_geojson}
    return writers[fmt](bundle, path)
