"""KML and KMZ for Google Earth and QGIS: one placemark per ranked post (WGS 84 longitude,
latitude), coloured by rank like the app's map (the first fifth of the ranking darkest red,
the last fifth green), with a description table of the key indicators in the bundle's language.

- Placemarks are grouped by rank class (:func:`mapping.palette.rank_classes`), best first, in
  one sub-``Document`` per class, which Google Earth shows as a folder and GDAL/QGIS read as
  a layer (a file of several layers). Not a ``Folder``: a ``Schema`` may only sit in a
  ``Document``, and GDAL (LIBKML) does not resolve a ``schemaUrl`` of a ``Folder`` inside a
  KMZ, so there the placemarks would lose every attribute.
- Attributes are typed: each class's ``Schema`` declares ``post_id`` (string), ``rank`` (int),
  ``score`` (double), ``rehab_cost_usd`` (double, USD) and, with a shortlist, ``shortlisted``
  (bool, written 1/0: GDAL before 3.7 reads ``true`` as 0); each placemark carries them as
  ``SchemaData``, so GIS software sorts ranks as numbers.
- Nothing is fetched online. The KMZ packs its icon (a white disc that ``IconStyle``'s colour
  tints) as ``files/post.png`` and a legend image as ``files/legend.png``, shown as a
  ``ScreenOverlay`` in a last ``Folder`` (an empty layer for GDAL). A plain ``.kml`` has
  nowhere to pack images: its ``IconStyle`` has no ``Icon``, so viewers draw their default
  icon tinted by the colour, and the legend is an HTML table in the Document's description.

The XML is built with :mod:`xml.etree.ElementTree`, so names are escaped as text; the
HTML of descriptions escapes every value with :func:`mapping.escape.inert`. The record is
the top Document's ``ExtendedData`` item ``RECORD_KEY``. The files are valid OGC KML 2.2.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pandas as pd
from defusedxml import ElementTree as SafeET
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle

from ..escape import inert, xml_text
from ..i18n import t
from ..i18n.quantities import format_quantity, is_missing, yes_no_word
from ..palette import OFFICIAL_COLOUR, RANK_COLOURS, rank_classes, rank_colour
from ..scoring.explain import label
from .bundle import ExportBundle
from .columns import headers
from .record import RECORD_KEY

NS = "http://www.opengis.net/kml/2.2"
KMZ_ENTRY = "doc.kml"
ICON_FILE, LEGEND_FILE = "files/post.png", "files/legend.png"
SCHEMA_ID = "bordermap_posts"
# KML 2.2 SimpleField types of the placemarks' attributes
FIELDS = {"post_id": "string", "rank": "int", "score": "double", "rehab_cost_usd": "double",
          "shortlisted": "bool"}
FONT = "DejaVu Sans"  # shipped with matplotlib: French accents print
ICON_PIXELS, LEGEND_DPI = 64, 100


def kml_colour(hex_colour: str) -> str:
    """``#rrggbb`` as KML's opaque ``aabbggrr``."""
    red, green, blue = hex_colour[1:3], hex_colour[3:5], hex_colour[5:7]
    return f"ff{blue}{green}{red}".lower()


def _text(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    element.text = xml_text(text)  # a name with a control character would make the file not XML
    return element


def _png(figure: Figure, **options: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", **options)
    return buffer.getvalue()


def icon_png() -> bytes:
    """The placemark icon: a white disc with a dark outline on transparency (``ICON_PIXELS`` square)."""
    figure = Figure(figsize=(1, 1), dpi=ICON_PIXELS)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    axes.add_patch(Circle((0.5, 0.5), 0.42, facecolor="white", edgecolor=OFFICIAL_COLOUR, linewidth=4))
    return _png(figure, transparent=True)


def class_name(first: int, last: int, lang: str) -> str:
    """"Ranks 1–3" (or "Rank 4" for a class of one) in ``lang``: a folder's and a legend row's name."""
    if first == last:
        return t("export.kml_folder.rank", lang, rank=format_quantity(first, "count", lang))
    return t("export.kml_folder.ranks", lang, first=format_quantity(first, "count", lang),
             last=format_quantity(last, "count", lang))


def legend_png(count: int, lang: str) -> bytes:
    """The legend of ``count`` ranked posts: a title, then each rank class's colour and ranks."""
    figure = Figure(figsize=(4, 3), dpi=LEGEND_DPI)
    handles = [Line2D([], [], linestyle="none", marker="o", markersize=11, markerfacecolor=colour,
                      markeredgecolor=OFFICIAL_COLOUR, label=class_name(first, last, lang))
               for first, last, colour in rank_classes(count)]
    title = f"{t('export.kml_legend.title', lang)}\n{t('export.kml_legend.first', lang)}"
    legend = figure.legend(handles=handles, loc="center", title=title, alignment="left",
                           prop={"family": FONT, "size": 10},
                           title_fontproperties={"family": FONT, "size": 10, "weight": "bold"})
    for text in (legend.get_title(), *legend.get_texts()):
        text.set_parse_math(False)  # a "$" is text, not mathematics
    return _png(figure, bbox_inches="tight", pad_inches=0.02)


def legend_html(count: int, lang: str) -> str:
    """The legend as an HTML table (the plain KML's Document description)."""
    rows = "".join(f"<tr><td bgcolor='{inert(colour)}' width='20'>&nbsp;</td>"
                   f"<td>{inert(class_name(first, last, lang))}</td></tr>"
                   for first, last, colour in rank_classes(count))
    return (f"<p><b>{inert(t('export.kml_legend.title', lang))}</b><br/>"
            f"{inert(t('export.kml_legend.first', lang))}</p><table>{rows}</table>")


def description(post_id: str, name: str, row: pd.Series, bundle: ExportBundle,
                shortlisted: bool | None) -> str:
    """An HTML table: name, id, rank, score, cost, shortlist, each criterion's value; the explanation."""
    lang = bundle.lang
    rows = [(t("export.col.name", lang), name), (t("export.col.post_id", lang), post_id),
            (t("export.col.rank", lang), format_quantity(row["rank"], "count", lang)),
            (t("export.col.score", lang), format_quantity(row["score"], "score", lang)),
            (headers(["rehab_cost_usd"], bundle)[0],
             format_quantity(row.get("rehab_cost_usd"), "count", lang))]
    if shortlisted is not None:
        rows.append((t("export.col.shortlisted", lang), yes_no_word(shortlisted, lang)))
    units = bundle.indicators.attrs.get("units", {})
    rows += [(label(c, lang), format_quantity(row.get(c), units.get(c), lang)) for c in bundle.profile.names]
    cells = "".join(f"<tr><th align='left'>{inert(name)}</th><td>{inert(value)}</td></tr>"
                    for name, value in rows)
    return f"<table>{cells}</table><p>{inert(row.get('explanation', ''))}</p>"


def _styles(document: ET.Element, packed: bool) -> None:
    """One style per rank class; with ``packed``, its icon is the KMZ's ``ICON_FILE``."""
    for index, colour in enumerate(RANK_COLOURS, start=1):
        icon_style = ET.SubElement(ET.SubElement(document, "Style", id=f"rank{index}"), "IconStyle")
        _text(icon_style, "color", kml_colour(colour))
        if packed:
            _text(ET.SubElement(icon_style, "Icon"), "href", ICON_FILE)
            ET.SubElement(icon_style, "hotSpot", x="0.5", y="0.5", xunits="fraction", yunits="fraction")


def _schema(container: ET.Element, schema_id: str, bundle: ExportBundle) -> list[str]:
    """Declare the placemarks' typed attributes in ``container``; return their names."""
    names = [n for n in FIELDS if n != "shortlisted" or bundle.shortlist is not None]
    schema = ET.SubElement(container, "Schema", name=schema_id, id=schema_id)
    for name, title in zip(names, headers(names, bundle), strict=True):
        _text(ET.SubElement(schema, "SimpleField", type=FIELDS[name], name=name), "displayName", title)
    return names


def _values(post_id: str, row: pd.Series, chosen: set[str] | None) -> dict[str, str]:
    """A placemark's attributes as KML text (a missing cost is left out)."""
    values = {"post_id": post_id, "rank": str(int(row["rank"])), "score": repr(float(row["score"]))}
    if not is_missing(row.get("rehab_cost_usd")):
        values["rehab_cost_usd"] = repr(float(row["rehab_cost_usd"]))
    if chosen is not None:
        values["shortlisted"] = "1" if post_id in chosen else "0"
    return values


def _placemark(folder: ET.Element, post_id: str, row: pd.Series, style: str, bundle: ExportBundle,
               schema_id: str, fields: list[str], chosen: set[str] | None) -> None:
    placemark = ET.SubElement(folder, "Placemark")
    name = row.get("name") if isinstance(row.get("name"), str) and row.get("name") else post_id
    _text(placemark, "name", t("export.kml.placemark", bundle.lang, rank=int(row["rank"]), name=name))
    _text(placemark, "description", description(post_id, name, row, bundle,
                                                None if chosen is None else post_id in chosen))
    _text(placemark, "styleUrl", style)
    data = ET.SubElement(ET.SubElement(placemark, "ExtendedData"), "SchemaData", schemaUrl=f"#{schema_id}")
    values = _values(post_id, row, chosen)
    for field in (f for f in fields if f in values):
        _text(data, "SimpleData", values[field], name=field)
    _text(ET.SubElement(placemark, "Point"), "coordinates", f"{row.geometry.x:.6f},{row.geometry.y:.6f}")


def _legend_overlay(document: ET.Element, lang: str) -> None:
    """The packed legend image, drawn at its size in the bottom-left corner of the view."""
    folder = ET.SubElement(document, "Folder")
    _text(folder, "name", t("export.kml_legend.folder", lang))
    overlay = ET.SubElement(folder, "ScreenOverlay")
    _text(overlay, "name", t("export.kml_legend.title", lang))
    _text(ET.SubElement(overlay, "Icon"), "href", LEGEND_FILE)
    ET.SubElement(overlay, "overlayXY", x="0", y="0", xunits="fraction", yunits="fraction")
    ET.SubElement(overlay, "screenXY", x="10", y="30", xunits="pixels", yunits="pixels")
    ET.SubElement(overlay, "size", x="0", y="0", xunits="fraction", yunits="fraction")


def kml_document(bundle: ExportBundle, packed: bool = False) -> bytes:
    """The KML document of the ranked posts (UTF-8 bytes); ``packed``: the ``doc.kml`` of a KMZ
    that holds ``ICON_FILE`` and ``LEGEND_FILE``."""
    posts, lang = bundle.posts, bundle.lang
    root = ET.Element("kml", xmlns=NS)
    document = ET.SubElement(root, "Document")
    _text(document, "name", t("export.kml.document", lang))
    _text(document, "open", "1")
    if not packed:
        _text(document, "description", legend_html(len(posts), lang))
    _styles(document, packed)
    _text(ET.SubElement(ET.SubElement(document, "ExtendedData"), "Data", name=RECORD_KEY), "value",
          bundle.record.to_json())
    chosen = set(bundle.shortlist.selected) if bundle.shortlist else None
    colours = posts["rank"].map(lambda rank: rank_colour(float(rank), len(posts)))
    for first, last, colour in rank_classes(len(posts)):
        index = RANK_COLOURS.index(colour) + 1
        folder = ET.SubElement(document, "Document")  # not a Folder: see the module docstring
        _text(folder, "name", class_name(first, last, lang))
        schema_id = f"{SCHEMA_ID}_{index}"
        fields = _schema(folder, schema_id, bundle)
        for post_id, row in posts[colours == colour].sort_values("rank", kind="stable").iterrows():
            _placemark(folder, str(post_id), row, f"#rank{index}", bundle, schema_id, fields, chosen)
    if packed:
        _legend_overlay(document, lang)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def write_kml(bundle: ExportBundle, path: Path, zipped: bool = False) -> Path:
    """Write ``.kml``, or ``.kmz`` when ``zipped``: ``doc.kml`` first, then the icon and legend PNGs."""
    if zipped:
        buffer = io.BytesIO()  # built in memory: a full disk leaves no half-closed ZIP to complain later
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(KMZ_ENTRY, kml_document(bundle, packed=True))
            archive.writestr(ICON_FILE, icon_png())
            archive.writestr(LEGEND_FILE, legend_png(len(bundle.posts), bundle.lang))
        path.write_bytes(buffer.getvalue())
    else:
        path.write_bytes(kml_document(bundle))
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
