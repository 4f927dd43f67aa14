"""KML and KMZ exports opened with independent readers: the OGC KML 2.2 XML schema (xmlschema,
offline), GDAL (pyogrio, and ogrinfo when installed), the zip and the XML as written."""

from __future__ import annotations

import dataclasses
import importlib.resources
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import xmlschema
from defusedxml import ElementTree as SafeET
from PIL import Image
from test_exports import EVIL_POST, bundles, store  # noqa: F401  (fixtures: the demo store, budgeted)

from mapping.escape import inert
from mapping.exports.kml import ICON_FILE, KMZ_ENTRY, LEGEND_FILE, class_name, read_kml_record
from mapping.exports.reproduce import read_record
from mapping.exports.write import write_export
from mapping.palette import RANK_COLOURS, rank_classes

KML = {"kml": "http://www.opengis.net/kml/2.2"}
MARKUP = 'Tom & "Jerry" <b>x</b>'
MARKUP_POST = "MLI-NIO"
TYPES = {"post_id": "string", "rank": "int", "score": "double", "rehab_cost_usd": "double",
         "shortlisted": "bool"}  # KML 2.2 SimpleField types
GDAL_TYPES = {"rank": {"int32", "int64"}, "score": {"float64"}, "rehab_cost_usd": {"float64"},
              "shortlisted": {"bool"}}
CLASS_WORDS = {"en": "Ranks {}–{}", "fr": "Rangs {} à {}"}
LEGEND_WORDS = {"en": "Legend", "fr": "Légende"}
CASES = [(lang, suffix) for lang in ("en", "fr") for suffix in ("kml", "kmz")]


@pytest.fixture(scope="module")
def kml_bundles(bundles):  # noqa: F811
    """The budgeted demo bundles (so ``shortlisted`` is present), one more post named with markup."""
    renamed = {}
    for lang, bundle in bundles.items():
        posts = bundle.posts.copy()
        posts.loc[MARKUP_POST, "name"] = MARKUP
        renamed[lang] = dataclasses.replace(bundle, posts=posts)
    return renamed


@pytest.fixture(scope="module")
def files(kml_bundles, tmp_path_factory) -> dict[tuple[str, str], Path]:
    folder = tmp_path_factory.mktemp("kml")
    return {(lang, suffix): write_export(kml_bundles[lang], folder / f"posts_{lang}.{suffix}")
            for lang, suffix in CASES}


@pytest.fixture(scope="module")
def ogc_schema() -> xmlschema.XMLSchema:
    """The OGC KML 2.2 schema shipped in pykml; ``local``: files only, never the network."""
    xsd = importlib.resources.files("pykml") / "schemas" / "ogckml22.xsd"
    return xmlschema.XMLSchema(str(xsd), allow="local")


def doc_kml(path: Path) -> bytes:
    if path.suffix == ".kmz":
        return zipfile.ZipFile(path).read(KMZ_ENTRY)
    return path.read_bytes()


def xml_root(path: Path):
    return SafeET.parse(io.BytesIO(doc_kml(path))).getroot()


def class_containers(path: Path) -> list:
    """The top Document's sub-containers that hold placemarks (one per rank class)."""
    document = xml_root(path).find("kml:Document", KML)
    return [c for c in document if c.find("kml:Placemark", KML) is not None]


def gdal_layers(path: Path) -> list[str]:
    return [str(name) for name, _ in pyogrio.list_layers(path)]


def gdal_posts(path: Path) -> pd.DataFrame:
    """Every layer with features read by GDAL, as one table."""
    frames = [pyogrio.read_dataframe(path, layer=name) for name in gdal_layers(path)
              if pyogrio.read_info(path, layer=name)["features"]]
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize(("lang", "suffix"), CASES)
def test_kml_is_valid_ogc_kml_2_2_with_typed_schemas(files, kml_bundles, ogc_schema, lang, suffix):
    ogc_schema.validate(xml_root(files[lang, suffix]))
    containers = class_containers(files[lang, suffix])
    assert containers
    for container in containers:
        schema = container.find("kml:Schema", KML)
        assert {f.get("name"): f.get("type") for f in schema.findall("kml:SimpleField", KML)} == TYPES
        data = container.iterfind("kml:Placemark/kml:ExtendedData/kml:SchemaData", KML)
        urls = {d.get("schemaUrl") for d in data}
        assert urls == {f"#{schema.get('id')}"}  # every placemark refers to its container's schema
    assert read_kml_record(files[lang, suffix]) == kml_bundles[lang].record.to_json()


@pytest.mark.parametrize(("lang", "suffix"), CASES)
def test_gdal_reads_rank_as_integer_and_score_as_real(files, kml_bundles, lang, suffix):
    if "LIBKML" not in pyogrio.list_drivers():
        pytest.skip("no LIBKML driver in GDAL; the plain KML driver reads no SchemaData (XML types tested)")
    path, bundle = files[lang, suffix], kml_bundles[lang]
    for name in gdal_layers(path):
        info = pyogrio.read_info(path, layer=name)
        if info["features"]:
            assert info["driver"] == "LIBKML"
            dtypes = dict(zip(info["fields"], info["dtypes"], strict=True))
            assert all(dtypes[field] in allowed for field, allowed in GDAL_TYPES.items()), dtypes
    posts = gdal_posts(path)
    assert posts["rank"].sort_values().tolist() == list(range(1, len(bundle.posts) + 1))
    by_id = posts.set_index("post_id")
    expected = bundle.posts
    assert by_id.loc[expected.index, "rank"].tolist() == expected["rank"].astype(int).tolist()
    scores = expected["score"].astype(float).tolist()
    assert by_id.loc[expected.index, "score"].tolist() == pytest.approx(scores)
    assert set(by_id.index[by_id["shortlisted"]]) == set(bundle.shortlist.selected)


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="ogrinfo (gdal-bin) is not installed")
@pytest.mark.parametrize("suffix", ["kml", "kmz"])
def test_ogrinfo_sees_typed_fields(files, suffix):
    path = files["en", suffix]
    first = gdal_layers(path)[0]  # the file has several layers: name one
    out = subprocess.run(["ogrinfo", "-ro", "-so", str(path), first], capture_output=True, text=True,
                         check=True).stdout
    assert "rank: Integer" in out and "score: Real" in out and "rehab_cost_usd: Real" in out


def test_kmz_packs_its_icon_and_legend_and_links_only_packed_files(files):
    path = files["fr", "kmz"]
    archive = zipfile.ZipFile(path)
    assert archive.namelist()[0] == KMZ_ENTRY and {ICON_FILE, LEGEND_FILE} <= set(archive.namelist())
    hrefs = [h.text for h in xml_root(path).iter(f"{{{KML['kml']}}}href")]
    assert hrefs and all(h in archive.namelist() for h in hrefs)  # relative, packed: nothing online
    assert hrefs.count(ICON_FILE) == len(RANK_COLOURS) and hrefs.count(LEGEND_FILE) == 1
    assert "http" not in "".join(hrefs)
    icon = Image.open(io.BytesIO(archive.read(ICON_FILE))).convert("RGBA")
    assert icon.width == icon.height and icon.getpixel((0, 0))[3] == 0  # transparent corners
    centre = icon.getpixel((icon.width // 2, icon.height // 2))
    assert centre == (255, 255, 255, 255)  # white, so that the style's colour tints it
    legend = Image.open(io.BytesIO(archive.read(LEGEND_FILE))).convert("RGB")
    drawn = {"#{:02x}{:02x}{:02x}".format(*pixel) for _, pixel in legend.getcolors(maxcolors=1 << 16)}
    assert set(RANK_COLOURS) <= drawn  # every rank class's colour


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_plain_kml_links_nothing_and_describes_the_legend(files, kml_bundles, lang):
    path, count = files[lang, "kml"], len(kml_bundles[lang].posts)
    root = xml_root(path)
    assert root.find(".//kml:href", KML) is None and root.find(".//kml:Icon", KML) is None
    texts = [v for e in root.iter() for v in (e.text or "", *e.attrib.values())]
    assert not [v for v in texts if v.strip().startswith(("http:", "https:", "//"))]
    legend = root.find("kml:Document/kml:description", KML).text
    for first, last, colour in rank_classes(count):
        assert f"bgcolor='{colour}'" in legend and inert(CLASS_WORDS[lang].format(first, last)) in legend
    title = {"en": "Border posts by rank", "fr": "Postes frontaliers par rang"}[lang]
    assert f"<b>{title}</b>" in legend


@pytest.mark.parametrize(("lang", "suffix"), CASES)
def test_one_folder_per_rank_class_best_first(files, kml_bundles, lang, suffix):
    path, count = files[lang, suffix], len(kml_bundles[lang].posts)
    classes = rank_classes(count)
    containers = class_containers(path)
    names = [c.findtext("kml:name", namespaces=KML) for c in containers]
    assert names == [CLASS_WORDS[lang].format(first, last) for first, last, _ in classes]
    ranks = []
    for container, (first, last, colour) in zip(containers, classes, strict=True):
        placemarks = container.findall("kml:Placemark", KML)
        in_folder = [int(p.findtext(".//kml:SimpleData[@name='rank']", namespaces=KML)) for p in placemarks]
        assert in_folder == list(range(first, last + 1))
        style = f"#rank{RANK_COLOURS.index(colour) + 1}"
        assert {p.findtext("kml:styleUrl", namespaces=KML) for p in placemarks} == {style}
        ranks += in_folder
    assert ranks == list(range(1, count + 1))
    legend = [LEGEND_WORDS[lang]] if suffix == "kmz" else []
    assert gdal_layers(path) == names + legend  # GDAL: one layer per folder


@pytest.mark.parametrize("suffix", ["kml", "kmz"])
def test_record_round_trips_and_markup_stays_text(files, kml_bundles, suffix):
    path, bundle = files["fr", suffix], kml_bundles["fr"]
    assert read_record(path).ranks == bundle.record.ranks and read_record(path).lang == "fr"
    raw = doc_kml(path).decode("utf-8")
    assert "<b>x</b>" not in raw and 'Tom & "' not in raw  # escaped in the XML
    posts = gdal_posts(path).set_index("post_id")
    rank = int(bundle.posts.loc[MARKUP_POST, "rank"])
    assert posts.loc[MARKUP_POST, "Name"] == f"{rank}. {MARKUP}"  # the name, as text
    description = posts.loc[MARKUP_POST, "description"]
    assert inert(MARKUP) in description and MARKUP not in description  # and inert in the balloon's HTML
    assert posts.loc[EVIL_POST, "Name"].endswith("</b>")  # test_exports' hostile name, also text


def test_rank_class_names_use_the_catalogue_and_the_locale():
    assert class_name(4, 4, "fr") == "Rang 4" and class_name(4, 4, "en") == "Rank 4"
    assert class_name(1000, 1250, "fr").replace("\u202f", " ") == "Rangs 1 000 à 1 250"
    assert class_name(1000, 1250, "en") == "Ranks 1,000–1,250"
