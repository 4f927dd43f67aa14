"""Every file of the hostile corpus (tests/hostile_corpus.py) through ``bordermap layers
validate`` and ``import``, in English and French: the right exit code, a message in words
(no traceback, no library warning), the store byte for byte unchanged when the file is
refused, and, when it is accepted, a store that still scores and exports."""

from __future__ import annotations

import hashlib
import resource
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile_corpus import cases

from mapping.cli import main
from mapping.layers.findings import LayerReadError, has_errors
from mapping.layers.guess import guess_kind
from mapping.layers.importing import diff_file
from mapping.layers.uploads import saved_upload
from mapping.layers.user_store import open_store

CASES = {case.name: case for case in cases()}
MEMORY_LIMIT = 8 * 1024**3  # bytes of address space: a memory bomb fails here, not the machine
NOISE = ("Traceback", "Warning 1:", "UserWarning", "RuntimeWarning", "FutureWarning", "DeprecationWarning",
         "Exception ignored", "site-packages")


@pytest.fixture(scope="module", autouse=True)
def bounded_memory():
    """Run the corpus under an address-space limit, so that a file that makes bordermap
    allocate without bound ends in a failed test (MemoryError), never in a machine out of memory."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, hard))
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def store_digest(folder: Path) -> str:
    """One SHA-256 over every file of the store (the GeoPackage and its rasters)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.parent.name != "input"):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, catch_exceptions=True)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {result.exception!r}\n{result.output}") from result.exception
    return result.exit_code, result.output


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_a_hostile_file_ends_in_a_clear_message(name, lang, demo_store_folder, tmp_path):
    case = CASES[name]
    store_folder = tmp_path / "store"
    shutil.copytree(demo_store_folder, store_folder)
    store = store_folder / "store.gpkg"
    (tmp_path / "input").mkdir()
    path = case.build(tmp_path / "input")
    before = store_digest(store_folder)

    code, output = run(["layers", "validate", str(path), "--kind", case.kind, "--store", str(store),
                        "--lang", lang])
    assert not any(noise in output for noise in NOISE), output
    assert output.strip(), "no message at all"
    if case.expect == "refused":
        assert code in (1, 2), output
    else:
        assert code == 0, output
    if case.words.get(lang):
        assert case.words[lang] in output, output

    code, output = run(["layers", "import", str(path), "--kind", case.kind, "--store", str(store),
                        "--lang", lang, "--user", "corpus"])
    assert not any(noise in output for noise in NOISE), output
    if case.expect == "refused":
        assert code in (1, 2), output
        assert store_digest(store_folder) == before, "a refused import changed the store"
        return
    assert code == 0, output
    code, output = run(["score", "--store", str(store), "--lang", lang])
    assert code == 0 and not any(noise in output for noise in NOISE), output
    out = tmp_path / "after.xlsx"
    code, output = run(["export", "--store", str(store), "--lang", lang, "--out", str(out),
                        "--budget", "1000000"])
    assert code == 0 and out.stat().st_size > 0, output


UPLOADS = sorted(name for name, case in CASES.items() if name not in ("csv_is_directory", "csv_is_pipe"))


@pytest.mark.parametrize("name", UPLOADS)
def test_an_uploaded_hostile_file_gets_its_findings(name, demo_store_folder, tmp_path):
    """What the app's Layers page does with an upload: keep it under a safe name, guess its
    kind, check it against the store (refused files have errors; the store is untouched)."""
    case = CASES[name]
    shutil.copytree(demo_store_folder, tmp_path / "store")
    store = open_store(tmp_path / "store" / "store.gpkg")
    (tmp_path / "input").mkdir()
    built = case.build(tmp_path / "input")
    before = store_digest(tmp_path / "store")
    with saved_upload(built.name, built.read_bytes()) as path:
        guess_kind(path)
        try:
            result = diff_file(path, case.kind, store)
            refused, said = has_errors(result.findings), [f.message("fr") for f in result.findings]
        except LayerReadError as error:  # the page shows the message of an unreadable file
            refused, said = True, [error.message("fr")]
    assert refused == (case.expect == "refused"), said
    assert all(text.strip() for text in said)
    assert store_digest(tmp_path / "store") == before
