"""One entry point for every export format, used by ``bordermap export`` and the app.

The format is the file's suffix unless given. CSV writes its record beside the file
(``<name>.record.json``); every other format carries it inside (see each writer).
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from ..outputs import read_back, replacing
from .bundle import ExportBundle
from .csv_table import record_path, write_csv
from .errors import ExportError
from .gis import LAYER, write_geojson, write_gpkg
from .kml import write_kml
from .workbook import write_xlsx

FORMATS = ("csv", "xlsx", "gpkg", "geojson", "kml", "kmz", "pdf", "html")
REPORT_FORMATS = ("pdf", "html")
SUFFIXES = {"json": "geojson", "htm": "html"}
MEDIA_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "gpkg": "application/geopackage+sqlite3", "geojson": "application/geo+json",
               "kml": "application/vnd.google-earth.kml+xml", "kmz": "application/vnd.google-earth.kmz",
               "pdf": "application/pdf", "html": "text/html", "zip": "application/zip"}


def export_format(path: Path, fmt: str | None = None) -> str:
    """The format named by the file's suffix; a ``fmt`` given as well must agree with it, so
    that ``--reproduce`` can later tell the format from the name."""
    suffix = path.suffix.lower().lstrip(".")
    named = SUFFIXES.get(suffix, suffix)
    asked = (fmt or named).lower()
    if asked not in FORMATS:
        raise ExportError("unknown_format", format=fmt or path.suffix or "-", formats=", ".join(FORMATS))
    if asked != named:
        raise ExportError("suffix_mismatch", format=asked, file=path.name, suffix=f".{asked}")
    return asked


def write_export(bundle: ExportBundle, path: str | Path, fmt: str | None = None, *,
                 hxl: bool = False) -> Path:
    """Write ``bundle`` to ``path`` as ``fmt`` (default: from the suffix); ``hxl`` adds the
    HXL hashtag row to CSV. The file is written beside ``path`` and moved into place
    (:func:`mapping.outputs.replacing`), so a failed export leaves the previous file (and a
    CSV's record) as it was, and raises ``OutputError`` naming the file and the cause."""
    path = Path(path)
    fmt = export_format(path, fmt)
    with replacing(path, verify=_read_back(bundle, fmt)) as partial:
        try:
            _write(bundle, partial, fmt, hxl)
            if fmt == "csv":  # the sidecar first: a CSV never sits beside another export's record
                os.replace(record_path(partial), record_path(path))
        finally:
            record_path(partial).unlink(missing_ok=True)
    return path


def _read_back(bundle: ExportBundle, fmt: str) -> Callable[[Path], bool] | None:
    """For the formats GDAL writes, a check that every post reads back (see ``read_back``)."""
    return read_back(len(bundle.posts), LAYER) if fmt in ("gpkg", "geojson") else None


def _write(bundle: ExportBundle, path: Path, fmt: str, hxl: bool) -> None:
    if fmt in ("pdf", "html"):
        from .report import write_report  # the report needs plotting libraries: load them only here

        write_report(bundle, path, fmt)
    elif fmt == "csv":
        write_csv(bundle, path, hxl=hxl)
    elif fmt in ("kml", "kmz"):
        write_kml(bundle, path, zipped=fmt == "kmz")
    else:
        {"xlsx": write_xlsx, "gpkg": write_gpkg, "geojson": write_geojson}[fmt](bundle, path)


def export_download(bundle: ExportBundle, stem: str, fmt: str) -> tuple[str, bytes, str]:
    """The export as a download: its file name, content and media type. A CSV travels with
    its record (which ``--reproduce`` reads) in one ZIP, ``<stem>-csv.zip``."""
    with tempfile.TemporaryDirectory(prefix="bordermap-export-") as folder:
        path = write_export(bundle, Path(folder) / f"{stem}.{fmt}", fmt)
        if fmt == "csv":
            archive = path.with_name(f"{stem}-csv.zip")
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
                for member in (path, record_path(path)):
                    out.write(member, member.name)
            path = archive
        return path.name, path.read_bytes(), MEDIA_TYPES[path.suffix.lstrip(".")]

