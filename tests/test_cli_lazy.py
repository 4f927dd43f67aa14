"""`bordermap --help` answers without loading the GIS libraries, and still lists every command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from mapping.cli import COMMANDS, load_command, main
from mapping.i18n import catalogue

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("geopandas", "pandas", "shapely", "pyogrio", "rasterio", "streamlit")


def run_python(code: str, *args: str, lang: str = "en") -> str:
    """Run ``code`` in a new interpreter from the repository root; its standard output."""
    env = {**os.environ, "BORDERMAP_LANG": lang}
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    return done.stdout


def listed_commands(help_text: str) -> list[str]:
    """The command names in the ``Commands:`` section of a help text."""
    section = help_text.split("Commands:", 1)[1]
    return [line.split()[0] for line in section.splitlines() if line.startswith("  ") and
            not line.startswith("   ")]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_help_lists_every_command_with_its_help_in_the_language(lang):
    out = run_python("from mapping.cli import main; main()", "--help", lang=lang)
    assert listed_commands(out) == list(COMMANDS)
    first_words = catalogue(lang)["cli.commands.score"].split()[:3]
    assert " ".join(first_words) in " ".join(out.split())


def test_importing_the_cli_or_asking_for_help_loads_no_gis_library():
    code = ("import sys; from mapping.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            f"print('LOADED:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))")
    loaded = run_python(code).rsplit("LOADED:", 1)[1].strip()
    assert loaded == "", f"`bordermap --help` imported {loaded}"


def test_every_command_loads_under_its_name_and_has_a_one_line_help_in_both_languages():
    for name, target in COMMANDS.items():
        command = load_command(target)
        assert isinstance(command, click.Command) and command.name == name
        for lang in ("en", "fr"):
            assert catalogue(lang).get(f"cli.commands.{name}"), (name, lang)


def test_a_command_runs_and_shows_its_own_help():
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["score", "--help"])
    assert result.exit_code == 0 and "--profile" in result.output
    result = CliRunner().invoke(main, ["nonesuch"])
    assert result.exit_code == 2 and "nonesuch" in result.output
