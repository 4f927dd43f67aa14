"""KML and KMZ for Google Earth: one placemark per ranked post (WGS 84 longitude, latitude),
coloured by rank like the app's map (the first fifth of the ranking darkest red, the last
fifth green), with a description table of the key indicators in the bundle's language.

The XML is built with :mod:`xml.etree.ElementTree`, so names are escaped as text; the
HTML of descriptions escapes every value with :func:`mapping.maps.inert`. The record is
the Document's ``ExtendedData`` item ``RECORD_KEY``.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pandas as pd
from defusedxml import ElementTree as SafeET

from ..i18n import format_number, t
from ..maps import RANK_COLOURS, inert, rank_colour
from ..scoring.explain import format_value, label
from .bundle import ExportBundle
from .columns import headers, yes_no
from .record import RECORD_KEY

NS = "http://www.opengis.net/kml/2.2"
ICON = "https://maps.google.com/mapfiles/kml/shapes/placemark_circle.png"
KMZ_ENTRY = "doc.kml"


def kml_colour(hex_colour: str) -> str:
    """``#rrggbb`` as KML's opaque ``aabbggrr``."""
    red, green, blue = hex_colour[1:3], hex_colour[3:5], hex_colour[5:7]
    return f"ff{blue}{green}{red}".lower()


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def _data(parent: ET.Element, items: dict[str, str]) -> None:
    extended = ET.SubElement(parent, "ExtendedData")
    for name, value in items.items():
        _text(ET.SubElement(extended, "Data", name=name), "value", value)


def _number(value: Any, lang: str, digits: int) -> str:
    if value is None or pd.isna(value):
        return t("app.no_value", lang)
    return format_number(float(value), lang, digits)


def description(post_id: str, name: str, row: pd.Series, bundle: ExportBundle,
                shortlisted: bool | None) -> str:
    """An HTML table: name, id, rank, score, cost, shortlist, each criterion's value; the explanation."""
    lang = bundle.lang
    rows = [(t("export.col.name", lang), name), (t("export.col.post_id", lang), post_id),
            (t("export.col.rank", lang), _number(row["rank"], lang, 0)),
            (t("export.col.score", lang), _number(row["score"], lang, 3)),
            (headers(["rehab_cost_usd"], bundle)[0], _number(row.get("rehab_cost_usd"), lang, 0))]
    if shortlisted is not None:
        rows.append((t("export.col.shortlisted", lang), yes_no(shortlisted, lang)))
    units = bundle.indicators.attrs.get("units", {})
    rows += [(label(c, lang), format_value(row.get(c), units.get(c), lang)) for c in bundle.profile.names]
    cells = "".join(f"<tr><th align='left'>{inert(name)}</th><td>{inert(value)}</td></tr>"
                    for name, value in rows)
    return f"<table>{cells}</table><p>{inert(row.get('explanation', ''))}</p>"


def kml_document(bundle: ExportBundle) -> bytes:
    """The KML document of the ranked posts (UTF-8 bytes)."""
    root = ET.Element("kml", xmlns=NS)
    document = ET.SubElement(root, "Document")
    _text(document, "name", t("export.kml.document", bundle.lang))
    for index, colour in enumerate(RANK_COLOURS, start=1):
        icon_style = ET.SubElement(ET.SubElement(document, "Style", id=f"rank{index}"), "IconStyle")
        _text(icon_style, "color", kml_colour(colour))
        _text(ET.SubElement(icon_style, "Icon"), "href", ICON)
    _data(document, {RECORD_KEY: bundle.record.to_json()})
    posts = bundle.posts
    chosen = set(bundle.shortlist.selected) if bundle.shortlist else None
    for post_id, row in posts.iterrows():
        placemark = ET.SubElement(document, "Placemark")
        name = row.get("name") if isinstance(row.get("name"), str) and row.get("name") else str(post_id)
        _text(placemark, "name", t("export.kml.placemark", bundle.lang, rank=int(row["rank"]), name=name))
        _text(placemark, "description", description(str(post_id), name, row, bundle,
                                                    None if chosen is None else post_id in chosen))
        colour = rank_colour(float(row["rank"]), len(posts))
        _text(placemark, "styleUrl", f"#rank{RANK_COLOURS.index(colour) + 1}")
        _data(placemark, {"post_id": str(post_id), "rank": str(int(row["rank"])),
                          "score": repr(float(row["score"]))})
        point = ET.SubElement(placemark, "Point")
        _text(point, "coordinates", f"{row.geometry.x:.6f},{row.geometry.y:.6f}")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def write_kml(bundle: ExportBundle, path: Path, zipped: bool = False) -> Path:
    """Write ``.kml``, or ``.kmz`` (the KML zipped as ``doc.kml``) when ``zipped``."""
    content = kml_document(bundle)
    if zipped:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(KMZ_ENTRY, content)
    else:
        path.write_bytes(content)
    return path


def read_kml_record(path: Path) -> str | None:
    """The record JSON of a KML or KMZ file written by :func:`write_kml`, or None."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            entries = [n for n in archive.namelist() if n.lower().endswith(".kml")]
            if not entries:
                return None
            content = archive.read(KMZ_ENTRY if KMZ_ENTRY in entries else entries[0])
    else:
        content = path.read_bytes()
    root = SafeET.parse(io.BytesIO(content)).getroot()
    value = root.find(f"kml:Document/kml:ExtendedData/kml:Data[@name='{RECORD_KEY}']/kml:value", {"kml": NS})
    return value.text if value is not None else None
