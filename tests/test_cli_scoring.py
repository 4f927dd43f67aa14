"""`bordermap score | ahp | sensitivity | shortlist` as a project manager runs them."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import plain

from mapping.cli import main

INDICATORS = (
    "post_id;name;iso3;pop_20km;unofficial_20km;road_km;rehab_cost_usd\n"
    "MRT-KOB;Kobenni;MRT;38000;14;0;150000\n"
    "MLI-GOG;Gogui;MLI;12000;3;10;90000\n"
    "MLI-NAR;=HYPERLINK(\"x\");MLI;30000;9;4;200000\n"
    "MRT-FAS;Fassala;MRT;5000;1;40;60000\n"
)
PROFILE = """method = "wsum"
top_n = 2
[[criteria]]
indicator = "pop_20km"
weight = 0.5
[[criteria]]
indicator = "unofficial_20km"
weight = 0.3
[[criteria]]
indicator = "road_km"
direction = "cost"
weight = 0.2
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "indicators.csv").write_text(INDICATORS, encoding="utf-8")
    (tmp_path / "profile.toml").write_text(PROFILE, encoding="utf-8")
    return tmp_path


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_score_a_precomputed_table_with_explanations(files):
    out = files / "ranking.csv"
    result = run("score", "--indicators", str(files / "indicators.csv"), "--profile",
                 str(files / "profile.toml"), "--out", str(out), "--lang", "fr")
    assert result.exit_code == 0, result.output
    assert "1er : 38 000 habitants" in plain(result.output)
    table = pd.read_csv(out, encoding="utf-8-sig", sep=";", decimal=",")  # French Excel's CSV
    assert list(table["post_id"]) == ["MRT-KOB", "MLI-NAR", "MLI-GOG", "MRT-FAS"]
    assert table["score"].dtype == float
    assert {"score", "rank", "explanation"} <= set(table.columns)
    assert table.loc[1, "name"].startswith("'=")  # a formula name is inert in spreadsheets


def test_score_refuses_an_unknown_method_or_indicator(files):
    bad = files / "bad.toml"
    bad.write_text('[[criteria]]\nindicator = "nope"\n', encoding="utf-8")
    result = run("score", "--indicators", str(files / "indicators.csv"), "--profile", str(bad))
    assert result.exit_code == 1 and "no column “nope”" in result.output


def test_ahp_json_reproduces_saaty(files):
    matrix = files / "m.csv"
    matrix.write_text("c;coffee;wine\ncoffee;1;9\nwine;1/9;1\n", encoding="utf-8")
    body = json.loads(run("ahp", str(matrix), "--format", "json").output)
    assert body["weights"] == pytest.approx({"coffee": 0.9, "wine": 0.1})
    assert body["lambda_max"] == pytest.approx(2.0) and body["consistency_ratio"] == 0.0


def test_sensitivity_writes_rank_intervals(files):
    out = files / "sens.csv"
    result = run("sensitivity", "--indicators", str(files / "indicators.csv"), "--profile",
                 str(files / "profile.toml"), "--samples", "300", "--out", str(out))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert {"rank_p05", "rank_p95", "p_top_n"} <= set(table.columns)
    assert (table["rank_p05"] <= table["rank_p95"]).all()


def test_shortlist_within_budget_and_a_clear_message_when_infeasible(files):
    scores = files / "ranking.csv"
    run("score", "--indicators", str(files / "indicators.csv"), "--profile",
        str(files / "profile.toml"), "--out", str(scores))
    out = files / "shortlist.csv"
    result = run("shortlist", "--scores", str(scores), "--budget", "250000", "--out", str(out))
    assert result.exit_code == 0, result.output
    chosen = pd.read_csv(out, encoding="utf-8-sig")
    assert chosen["rehab_cost_usd"].sum() <= 250000
    result = run("shortlist", "--scores", str(scores), "--budget", "50000",
                 "--min-per-country", "MLI=1", "--out", str(out), "--lang", "fr")
    assert result.exit_code == 1 and "budget" in result.output and "Traceback" not in result.output
