"""The report's surge scenario pages and travel-time map layer: one page per saved scenario
(inputs, map, table per post, posts saturating first), their comparison, in English and
French, PDF and HTML; the record lets ``--reproduce`` redo them; the app offers them."""

from __future__ import annotations

import dataclasses
import html
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from mapping.access.routing import origin_around
from mapping.access.saved import save_surge
from mapping.access.scenario import SurgeScenario
from mapping.accounts.roles import Role, Viewer
from mapping.cli import main
from mapping.escape import script_json
from mapping.exports.access_parts import surge_table, travel_layer
from mapping.exports.bundle import build_bundle
from mapping.exports.reproduce import read_record, reproduce
from mapping.exports.write import write_export
from mapping.i18n import format_number, t
from mapping.layers.user_store import open_store
from mapping.scoring.profile import load_profile
from tests.apptest import keyed, run
from tests.conftest import plain

OUTPUT = Path(__file__).resolve().parent.parent / "test-output" / "report-surge"
TRAVEL_PROFILE = Path(__file__).resolve().parents[1] / "profiles" / "travel_time.toml"
# on foot only: one travel-time surface to compute for the whole module
LERE = SurgeScenario(name="Léré", people=20_000, days=20, curve="peak", mode_mix={"foot": 1.0},
                     unofficial_share=0.3)
NAMPALA = SurgeScenario(name="Nampala", people=50_000, days=10, curve="early", mode_mix={"foot": 1.0},
                        unofficial_share=0.2, choice_k=3)
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


@pytest.fixture(scope="module")
def store(tmp_path_factory, demo_travel_folder):
    """The demo store with two saved scenarios leaving Léré and Nampala (Mali)."""
    folder = tmp_path_factory.mktemp("surge-report") / "store"
    shutil.copytree(demo_travel_folder, folder)
    store = open_store(folder / "store.gpkg")
    save_surge(store, LERE, origin_around(-4.91, 15.71, 10))
    save_surge(store, NAMPALA, origin_around(-5.55, 15.28, 10))
    return store


@pytest.fixture(scope="module")
def english(store):
    return build_bundle(store, load_profile(), "en", top_n=3, samples=50, surges=["Léré", "Nampala"])


@pytest.fixture(scope="module")
def french(store):
    return build_bundle(store, load_profile(), "fr", top_n=3, samples=50, surges=["Léré"])


@pytest.fixture(scope="module")
def english_pdf(english, tmp_path_factory) -> Path:
    return write_export(english, tmp_path_factory.mktemp("pdf") / "report.pdf")


@pytest.fixture(scope="module")
def english_html(english, tmp_path_factory) -> Path:
    return write_export(english, tmp_path_factory.mktemp("html") / "report.html")


def pdf_pages(path: Path) -> list[str]:
    """Each page's text as poppler's pdftotext reads it, spaces made plain."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [plain(page) for page in text.split("\f")]


def page_png(path: Path, page: int, name: str) -> Path:
    """Page ``page`` (1-based) rendered by pdftoppm into test-output/report-surge (to look at)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    stem = OUTPUT / name
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", "-f", str(page), "-l", str(page),
                    str(path), str(stem)], check=True)
    return stem.with_suffix(".png")


def expected_rows(bundle, index: int, lang: str) -> list[tuple[str, str, str]]:
    """(post, arrivals, longest queue) of each post the scenario reaches, formatted for ``lang``."""
    summary = bundle.surges[index].run.result.summary
    posts = summary[(summary["site_kind"] == "post") & (summary["arrivals"] > 0)]
    return [(row["name"], format_number(row["arrivals"], lang, 0), format_number(row["peak_queue"], lang, 0))
            for _, row in posts.iterrows()]


@needs_poppler
def test_english_pdf_has_a_page_per_scenario_with_its_numbers_then_the_comparison(english, english_pdf):
    path = english_pdf
    pages = pdf_pages(path)
    lere = next(i for i, p in enumerate(pages) if "Surge scenario “Léré”" in p)
    page = pages[lere]
    for words in ("Origin", "15.7100, -4.9100 ± 10 km", "People displaced", "20,000", "Days of departures",
                  "peak, highest on day 10", "on foot 100%", "Share crossing unofficially", "30%",
                  "everyone to the quickest site within 72 h", "Capacity of the posts", "Posts reached"):
        assert words in page, words
    rows = expected_rows(english, 0, "en")
    assert rows
    for name, arrivals, queue in rows:
        line = next(line for line in page.splitlines() if line.strip().startswith(name))
        assert arrivals in line and queue in line
    result = english.surges[0].run.result
    if result.first_saturated:
        first = result.summary.set_index("post_id").loc[result.first_saturated[0]]
        assert f"Posts that saturate first: {first['name']} (day {int(first['saturation_day'])}" in page
    assert "Surge scenario “Nampala”" in pages[lere + 1]
    assert "the 3 quickest sites within 72 h" in pages[lere + 1]
    compared = pages[lere + 2]
    assert "Surge scenarios compared" in compared
    assert "Léré:" in compared and "Nampala:" in compared
    png = page_png(path, lere + 1, "en-scenario")
    assert png.stat().st_size > 10_000  # a drawn map, not a blank page


@needs_poppler
def test_french_pdf_scenario_page_is_in_french_with_french_numbers(french, tmp_path):
    path = write_export(french, tmp_path / "rapport.pdf")
    pages = pdf_pages(path)
    number = next(i for i, p in enumerate(pages) if "Scénario d’afflux « Léré »" in p)
    page = pages[number]
    for words in ("Personnes déplacées", "20 000", "en pic, maximum le jour 10", "à pied 100 %",
                  "Part passant par des points non officiels", "30 %", "Postes atteints"):
        assert words in page, words
    for name, arrivals, _ in expected_rows(french, 0, "fr"):
        assert any(line.strip().startswith(name) and plain(arrivals) in line for line in page.splitlines())
    assert not any("Scénarios d’afflux comparés" in p for p in pages)  # one scenario: nothing to compare
    page_png(path, number + 1, "fr-scenario")


def test_html_reports_carry_the_scenarios_in_both_languages(english_html, french, tmp_path):
    text = html.unescape(english_html.read_text(encoding="utf-8"))
    assert "Surge scenario “Léré”" in text and "Surge scenario “Nampala”" in text
    assert "Surge scenarios compared" in text and "Nampala: longest queue" in text
    assert text.count('src="data:image/png;base64,') >= 3  # overview and one map per scenario
    text = plain(html.unescape(write_export(french, tmp_path / "rapport.html").read_text(encoding="utf-8")))
    assert "Scénario d’afflux « Léré »" in text and "Personnes déplacées" in text and "20 000" in text
    assert "comparés" not in text


def test_the_record_keeps_each_scenario_and_its_table(english, english_pdf):
    record = read_record(english_pdf)
    assert list(record.surges) == ["Léré", "Nampala"]
    assert record.surges["Léré"]["scenario"]["people"] == 20_000
    assert record.surge_results["Léré"] == surge_table(english.surges[0].run)


def test_reproduce_names_a_scenario_figure_that_differs(english_html, store, tmp_path):
    path = shutil.copy(english_html, tmp_path / "report.html")
    record = read_record(path)
    site, figures = next(iter(record.surge_results["Léré"].items()))
    changed = dataclasses.replace(record, surge_results={**record.surge_results,
                                                         "Léré": {**record.surge_results["Léré"],
                                                                  site: [figures[0] + 7, *figures[1:]]}})
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(script_json(record.to_json()), script_json(changed.to_json())),
                    encoding="utf-8")
    result = reproduce(path, store)
    assert not result.identical
    assert [(c.scenario, c.post_id, c.measure, c.old, c.new) for c in result.surges] == \
        [("Léré", site, "arrivals", figures[0] + 7, figures[0])]


@pytest.mark.parametrize(("lang", "words"), [("en", "No saved scenario is called “Nowhere”"),
                                             ("fr", "Aucun scénario enregistré ne s'appelle « Nowhere »")])
def test_an_unknown_scenario_is_refused_in_the_language(store, tmp_path, lang, words):
    out = tmp_path / "report.pdf"
    result = CliRunner().invoke(main, ["export", "--surge", "Léré", "--surge", "Nowhere", "--out", str(out),
                                       "--store", str(store.path), "--lang", lang])
    assert result.exit_code != 0
    assert words in plain(result.output) and "Léré" in plain(result.output).split(words)[1]  # names known
    assert not out.exists()


def test_reproduce_gives_the_same_scenario_tables_from_the_recorded_numbers(english_pdf, store):
    save_surge(store, dataclasses.replace(LERE, people=1), origin_around(-4.91, 15.71, 10))  # saved again
    try:
        result = CliRunner().invoke(main, ["export", "--reproduce", str(english_pdf), "--store",
                                           str(store.path), "--lang", "fr"])
    finally:
        save_surge(store, LERE, origin_around(-4.91, 15.71, 10))
    assert result.exit_code == 0, result.output  # the record's numbers are run, not the store's
    assert t("report_access.reproduce.surges_same", "fr", count=2) in result.output


@needs_poppler
def test_a_travel_time_profile_shades_the_overview_with_its_time_scale(english, store, tmp_path):
    assert english.travel is None  # the default profile ranks on no travel time
    layer = travel_layer(store, load_profile(TRAVEL_PROFILE))
    assert layer is not None and layer.surface.mode == "foot" and layer.minutes == (60.0, 120.0)
    path = write_export(dataclasses.replace(english, surges=(), travel=layer), tmp_path / "report.pdf")
    first = pdf_pages(path)[0]
    assert "Shaded: minutes on foot to the quickest post (dry season)" in " ".join(first.split())
    page_png(path, 1, "en-travel-overview")


def test_the_record_of_a_public_export_names_sites_by_cell_not_crossing(english, store):
    crossings = set(store.read("crossings")["crossing_id"].astype(str))
    recorded = {site for table in english.record.surge_results.values() for site in table}
    assert recorded and not recorded & crossings
    assert any(site.startswith("cell-") for site in recorded)  # people went to unofficial crossings


def test_travel_times_are_not_drawn_for_a_reader_who_sees_crossings_coarsened(store, tmp_path):
    profile = load_profile(TRAVEL_PROFILE)
    public = build_bundle(store, profile, "fr", top_n=3, samples=20, travel_map=True)
    assert public.travel is None and public.travel_withheld  # crossings are restricted by default
    written = html.unescape((write_export(public, tmp_path / "report.html")).read_text(encoding="utf-8"))
    assert t("protection_more.travel_hidden", "fr") in written
    cleared = build_bundle(store, profile, "en", top_n=3, samples=20, travel_map=True,
                           viewer=Viewer("fatou", Role.GIS))
    assert cleared.travel is not None and not cleared.travel_withheld


def test_the_app_adds_chosen_saved_scenarios_to_a_report(store, tmp_path, monkeypatch):
    copy = tmp_path / "store"
    shutil.copytree(store.path.parent, copy)
    monkeypatch.setenv("BORDERMAP_STORE", str(copy / store.path.name))
    app = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=300).run()
    run(app, "app_pages/shortlist_export.py")
    keyed(app.selectbox, "export_format").set_value("html")
    run(app)
    keyed(app.multiselect, "export_surges").set_value(["Nampala"])
    app.button(key="export_prepare").click()
    run(app)
    _, name, content, _ = app.session_state["export_file"]
    (tmp_path / name).write_bytes(content)
    assert list(read_record(tmp_path / name).surges) == ["Nampala"]
    assert "Scénario d’afflux « Nampala »" in plain(html.unescape(content.decode("utf-8")))
