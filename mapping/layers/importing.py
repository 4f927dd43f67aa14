"""Check, diff and import a file into the store: the one path every import takes.

The CLI and the app both call these functions. ``import_file`` either commits
the whole layer as a new version or changes nothing: it refuses while errors
remain, and fixes only what the user consented to (``fix=True``).
"""

from __future__ import annotations

import getpass
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from .diff import LayerDiff, diff_layers
from .findings import ERROR, Finding, has_errors
from .readers import read_raster_info, read_vector
from .schema import get_kind
from .store import CommitInfo, LayerStore, Version
from .validate import (
    REFERENCES,
    ValidationContext,
    ValidationReport,
    ValidationSettings,
    apply_fixes,
    validate_layer,
    validate_raster,
)

Progress = Callable[[str], None]  # called with the name of each step as it starts
CHUNK = 1024 * 1024


@dataclass
class ImportResult:
    """What an import did: the findings, the diff against the store, the version if committed."""

    kind: str
    features: int
    findings: list[Finding]
    diff: LayerDiff = field(default_factory=LayerDiff)
    fixes_applied: list[str] = field(default_factory=list)
    version: Version | None = None
    layer: gpd.GeoDataFrame | None = field(default=None, repr=False)  # prepared, schema types

    @property
    def committed(self) -> bool:
        return self.version is not None

    @property
    def unchanged(self) -> bool:
        """Valid, and identical to the stored layer: nothing to commit."""
        return not has_errors(self.findings) and self.diff.empty and self.layer is not None


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def context_from_store(store: LayerStore | None, kind: str,
                       settings: ValidationSettings | None = None) -> ValidationContext:
    """What a new ``kind`` layer is checked against, read from the store only when that kind
    needs it: the border lines (crossings) and the ids its references point to."""
    settings = settings or ValidationSettings()
    if store is None:
        return ValidationContext(settings=settings)
    targets = {target for _, target in REFERENCES.get(kind, []) if target != kind}
    return ValidationContext(
        borders=store.read("borders") if kind == "crossings" else None,
        known_ids={target: store.ids(target) for target in targets},
        settings=settings,
    )


def _step(progress: Progress | None, name: str) -> None:
    if progress is not None:
        progress(name)


def check_file(path: Path, kind: str, store: LayerStore | None = None, layer: str | None = None,
               fix: bool = False, settings: ValidationSettings | None = None,
               progress: Progress | None = None) -> ValidationReport:
    """Read and validate a vector file as ``kind``; with ``fix``, apply the fixable repairs.

    Raises ``LayerReadError`` when the file cannot be read at all.
    """
    spec = get_kind(kind)
    _step(progress, "read")
    raw = read_vector(path, layer=layer, kind=kind)
    _step(progress, "validate")
    context = context_from_store(store, kind, settings)
    report = validate_layer(raw, spec, context)
    if fix and report.fixable:
        _step(progress, "fix")
        report = apply_fixes(raw, report, spec, context)
    return report


def diff_file(path: Path, kind: str, store: LayerStore, layer: str | None = None,
              fix: bool = False, allow_removals: bool = False,
              progress: Progress | None = None) -> ImportResult:
    """What importing the file would change in the store, without changing anything.

    An import replaces the whole layer, so a file with no features, or one that would
    remove more than half of the stored features (a partial file, a wrong sheet), is an
    error unless ``allow_removals``.
    """
    if get_kind(kind).raster:
        return _check_raster(path, kind)
    report = check_file(path, kind, store, layer, fix, progress=progress)
    _step(progress, "diff")
    stored_layer = store.read(kind)
    diff = diff_layers(stored_layer, report.layer, get_kind(kind).id_column)
    findings = list(report.findings)
    stored = 0 if stored_layer is None else len(stored_layer)
    if report.layer.empty:
        findings.append(Finding(ERROR, "no_features"))
    elif not allow_removals and stored and len(diff.removed) > stored / 2:
        findings.append(Finding(ERROR, "removes_most", None,
                                {"removed": len(diff.removed), "stored": stored}))
    return ImportResult(kind, len(report.layer), findings, diff, report.fixes_applied,
                        layer=report.layer)


def import_file(path: Path, kind: str, store: LayerStore, user: str | None = None,
                layer: str | None = None, fix: bool = False, allow_removals: bool = False,
                progress: Progress | None = None) -> ImportResult:
    """Validate the file and commit it as the new ``kind`` layer, or change nothing.

    Nothing is committed while an error finding remains (after the fixes the user
    allowed with ``fix``), nor when the file equals the stored layer. The version records
    the user, the file's name and SHA-256, the fixes applied, and the ids added, changed
    and removed.
    """
    path = Path(path)
    user = user or getpass.getuser()
    if get_kind(kind).raster:
        result = _check_raster(path, kind)
        if not has_errors(result.findings):
            _step(progress, "commit")
            info = CommitInfo(user=user, source_file=path.name, sha256=sha256_of(path))
            result.version = store.commit_raster(kind, path, info)
        return result
    result = diff_file(path, kind, store, layer, fix, allow_removals, progress)
    if has_errors(result.findings) or result.unchanged:
        return result
    _step(progress, "commit")
    info = CommitInfo(user=user, source_file=path.name, sha256=sha256_of(path),
                      fixes=result.fixes_applied)
    result.version = store.commit_layer(kind, result.layer, info)
    return result


def _check_raster(path: Path, kind: str) -> ImportResult:
    info = read_raster_info(path)
    return ImportResult(kind, 1, validate_raster(info))
