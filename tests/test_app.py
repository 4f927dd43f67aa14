"""Each app page's logic, run in-process with Streamlit's AppTest on the demo data:
language switch, live re-ranking, a post's profile, scenarios, the shortlist, an import
with findings, a delegate note accepted through the validated import, the AHP editor."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
import shapely
from streamlit.testing.v1 import AppTest

from mapping.exports.reproduce import read_record
from mapping.layers.notes import add_note, notes
from mapping.layers.user_store import open_store
from tests.apptest import keyed as choice
from tests.apptest import run
from tests.conftest import plain

APP = str(Path(__file__).resolve().parents[1] / "app.py")
MAP, SHORTLIST, LAYERS, METHOD = (f"app_pages/{name}.py" for name in
                                  ("map_ranking", "shortlist_export", "layers", "method"))


@pytest.fixture
def store_path(store_copy, monkeypatch) -> Path:
    """A store of the demo data (a new store opens on the first-run screen: test_app_project)."""
    monkeypatch.setenv("BORDERMAP_STORE", str(store_copy))
    return store_copy


@pytest.fixture
def app(store_path):
    app = AppTest.from_file(APP, default_timeout=120).run()
    assert not app.exception, app.exception
    return app


def shown(text: object) -> object:
    """A Markdown cell of ``st.table`` as the reader sees it (escapes removed)."""
    return re.sub(r"\\(.)", r"\1", text) if isinstance(text, str) else text


def table(app: AppTest, column: str):
    """The static table (``st.table``) that has ``column``, its cells as the reader sees them."""
    frame = next(tb.value for tb in app.table if column in map(shown, tb.value.columns))
    return frame.rename(columns=shown).map(shown)


def ranking_table(app: AppTest):
    """The ranking on the map page: the table whose first column is the rank."""
    return table(app, "Rang" if any(shown(tb.value.columns[0]) == "Rang" for tb in app.table) else "Rank")


def test_app_opens_in_french_and_switches_to_english(app):
    assert "postes frontières" in app.title[0].value
    table = ranking_table(app)
    assert list(table.columns)[:2] == ["Rang", "Poste"]
    assert table.iloc[0, 4].startswith("1er")
    assert "," in table.iloc[0, 3]  # decimal comma
    app.sidebar.radio(key="lang").set_value("en")
    run(app)
    assert "border posts" in app.title[0].value
    table = ranking_table(app)
    assert table.iloc[0, 4].startswith("1st") and "." in table.iloc[0, 3]
    assert choice(app.sidebar.selectbox, "method").format_func("wsum") == "Weighted sum"
    assert choice(app.sidebar.selectbox, "choice").format_func("profile:default").startswith("Profile:")
    for slider in app.sidebar.slider:  # the next action after the switch works, in English
        slider.set_value(100 if slider.key == "weight_pop_20km" else 0)
    run(app)
    assert "people within 20 km" in ranking_table(app).iloc[0, 4]
    assert app.session_state["lang"] == "en"


def test_moving_weights_re_ranks_the_posts(app):
    before = list(ranking_table(app).iloc[:, 1])
    for slider in app.sidebar.slider:
        slider.set_value(100 if slider.key == "weight_pop_20km" else 0)
    run(app)
    table = ranking_table(app)
    assert list(table.iloc[:, 1]) != before and sorted(table.iloc[:, 1]) == sorted(before)
    assert "habitants à moins de 20 km" in table.iloc[0, 4]


def test_choosing_another_profile_resets_the_weights_and_the_ranking(app):
    before = list(ranking_table(app).iloc[:, 1])
    choice(app.sidebar.selectbox, "choice").set_value("profile:border_pressure")
    run(app)
    assert app.sidebar.slider(key="weight_unofficial_20km").value == 30
    assert list(ranking_table(app).iloc[:, 1]) != before


def test_choosing_a_post_opens_its_profile(app, store_path):
    top = ranking_table(app).iloc[0, 1]
    posts = open_store(store_path).read("posts")
    choice(app.selectbox, "post").set_value(posts.loc[posts["name"] == top, "post_id"].iloc[0])
    run(app)
    assert app.subheader[0].value.startswith(f"1. {top}")
    values = table(app, "Critère")
    assert any(plain(v).endswith(" km") for v in values["Valeur"])  # values with their units
    assert any(plain(w).endswith(" %") for w in values["Poids"])  # effective weights, French style
    assert {"Besoin lié à l’état", "Habitants à moins de 20 km"} <= set(values["Critère"])
    texts = " ".join(m.value for m in app.markdown)
    assert "évaluation" in texts.lower() and "face" in texts
    (chart,) = app.get("vega_lite_chart")  # contributions, numbers in French
    assert '"decimal": ","' in chart.proto.spec and "Contribution au score" in chart.proto.spec


def open_tab(app: AppTest, key: str, tab: str) -> None:
    """Open a tab of ``choices.open_tab`` as ``choices.set_choice`` does (AppTest cannot click tabs)."""
    app.session_state[key] = tab
    app.session_state[f"{key}#generation"] = app.session_state[f"{key}#generation"] + 1 \
        if f"{key}#generation" in app.session_state else 1
    run(app)


def test_a_scenario_is_saved_and_compared_with_the_current_weights(app, store_path):
    open_tab(app, "map_tab", "scenarios")
    app.text_input[0].set_value("Priorité à l’état")
    next(b for b in app.button if b.label == "Enregistrer ces poids").click()
    run(app)
    for slider in app.sidebar.slider:
        slider.set_value(100 if slider.key == "weight_pop_20km" else 0)
    run(app)
    assert choice(app.selectbox, "scenario_a").value == "Priorité à l’état"
    compared = table(app, "Évolution")
    assert any(str(c).startswith(("▲", "▼")) for c in compared["Évolution"])
    assert "Scénario : Priorité à l’état" in map(plain, choice(app.sidebar.selectbox, "choice").options)


def test_the_shortlist_fits_the_budget(app):
    run(app, SHORTLIST)
    app.number_input(key="budget").set_value(1_000_000)
    run(app)
    shortlist = table(app, "Cumul (USD)")
    total = float(plain(shortlist["Cumul (USD)"].iloc[-1]).replace(" ", ""))
    assert 0 < total <= 1_000_000
    assert float(plain(shortlist["Budget restant (USD)"].iloc[-1]).replace(" ", "")) == 1_000_000 - total
    app.number_input(key="budget").set_value(1_000)  # less than any post costs
    run(app)
    assert plain(app.metric[0].label) == "Liste restreinte : 0 postes"


def test_the_shortlist_page_prepares_a_download(app):
    run(app, SHORTLIST)
    choice(app.selectbox, "export_format").set_value("xlsx")
    app.button(key="export_prepare").click()
    run(app)
    assert app.get("download_button")  # the prepared file is offered


def test_a_csv_download_carries_its_record(app, tmp_path):
    run(app, SHORTLIST)
    choice(app.selectbox, "export_format").set_value("csv")
    app.button(key="export_prepare").click()
    run(app)
    _, name, content, _ = app.session_state["export_file"]
    archive = tmp_path / name
    archive.write_bytes(content)
    with zipfile.ZipFile(archive) as files:
        assert sorted(files.namelist()) == ["bordermap-fr.csv", "bordermap-fr.record.json"]
        files.extractall(tmp_path)
    assert read_record(tmp_path / "bordermap-fr.csv").lang == "fr"  # --reproduce can read it


def test_an_upload_with_findings_is_shown_and_not_imported(app, store_path):
    run(app, LAYERS)
    versions = len(open_store(store_path).history())
    bad = "id_poste;nom;pays;statut;latitude;longitude\nP1;Poste <b>un</b>;MRT;fermé;-10,5;15,2\n"
    app.file_uploader(key="upload_file").set_value(("postes.csv", bad.encode("utf-8"), "text/csv"))
    run(app)
    kind = next(box for box in app.selectbox if "_kind@" in str(box.key))  # the uploaded file's kind
    assert kind.value == "posts"  # proposed from the file's columns
    findings = table(app, "Gravité")
    assert "erreur" in set(findings["Gravité"])
    assert any("latitude" in m.lower() or "longitude" in m.lower() for m in findings["Message"])
    assert app.error and "Rien ne peut être importé" in app.error[0].value
    assert len(open_store(store_path).history()) == versions  # nothing landed


def test_an_edited_layer_is_imported_then_rolled_back(app, store_path, tmp_path):
    store = open_store(store_path)
    posts = store.read("posts")
    posts.loc[0, "name"] = "Poste renommé"
    edited = tmp_path / "posts.geojson"
    posts.to_file(edited, driver="GeoJSON")
    run(app, LAYERS)
    app.file_uploader(key="upload_file").set_value(("posts.geojson", edited.read_bytes(), "application/json"))
    run(app)
    assert "1 modifiées" in plain(" ".join(m.value for m in app.markdown))
    app.text_input(key="upload_user").set_value("A. Diallo")
    app.button(key="import_button").click()
    run(app)
    assert app.success and "version" in app.success[0].value
    latest = store.history()[-1]
    assert latest.user == "A. Diallo" and latest.changed == [posts.loc[0, "post_id"]]
    assert latest.action == "update"
    choice(app.selectbox, "rollback_version").set_value(store.history("posts")[-2].version)
    app.text_input(key="rollback_user").set_value("A. Diallo")
    app.button(key="rollback_button").click()
    run(app)
    assert "Poste renommé" not in set(store.read("posts")["name"])
    history = table(app, "Version")
    assert int(history["Version"].iloc[0]) == store.history()[-1].version  # the table shows the rollback


def test_a_delegate_note_is_accepted_through_the_validated_import(app, store_path):
    store = open_store(store_path)
    border = store.read("borders").geometry.iloc[0]
    near = border.interpolate(0.5, normalized=True)  # a new crossing on the border itself
    add_note(store, author="M. Traoré", organisation="Police des frontières", country="MLI",
             kind="new_crossing", text="Passage de motos <script>x</script>", lon=near.x, lat=near.y,
             place="Gué de la mare")
    other = add_note(store, author="A. Sow", organisation="Douanes", country="MRT", kind="other",
                     text="Horaires d’ouverture à vérifier", lon=near.x, lat=near.y)
    run(app, LAYERS)
    listed = table(app, "Statut")
    assert "Passage de motos <script>x</script>" in set(listed["Note"])  # shown as text
    before = len(store.history())
    assert "1 nouvelles" in plain(" ".join(m.value for m in app.markdown))  # the preview, before any change
    assert len(store.history()) == before
    app.text_input(key="note_user").set_value("SIG Nouakchott")
    app.button(key="note_accept").click()
    run(app)
    assert app.success and "version" in app.success[0].value
    note, still_open = notes(store)
    assert note.status == "accepted" and note.decided_by == "SIG Nouakchott"
    assert still_open.note_id == other.note_id and still_open.status == "open"  # only the one shown
    crossings = store.read("crossings")
    added = crossings[crossings["crossing_id"] == f"NOTE-{note.note_id}"]
    assert added["name"].iloc[0] == "Gué de la mare"
    assert added.geometry.iloc[0].equals_exact(shapely.Point(near.x, near.y), 1e-9)
    assert store.history()[-1].version == note.version


def test_the_ahp_weights_replace_the_sliders(app):
    run(app, METHOD)
    assert any("Ratio de cohérence" in s.value for s in [*app.success, *app.warning])
    app.button(key="ahp_apply").click()
    run(app)
    weights = {s.key: s.value for s in app.sidebar.slider}
    assert weights != {}
    assert any("comparaison par paires" in c.value for c in app.caption)


def test_page_settings_survive_a_visit_to_another_page(app):
    run(app, SHORTLIST)
    app.number_input(key="budget").set_value(1_500_000)
    run(app)
    run(app, MAP)
    run(app, SHORTLIST)
    assert app.number_input(key="budget").value == 1_500_000
