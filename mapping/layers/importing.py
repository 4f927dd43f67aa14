"""Check, diff and import a file into the store: the one path every import takes.

The CLI and the app both call these functions. ``import_file`` either commits
the whole layer as a new version or changes nothing: it refuses while errors
remain, and fixes only what the user consented to (``fix=True``).

Two ways to import: a replacement (the file becomes the layer; removing more than half of
the stored features needs ``allow_removals``) or an update (``update=True``: the file's
features are added or changed, the stored features it leaves out are kept, and so are the
columns and values it leaves out). Field ids the store does not know but whose feature has
the name of a stored one within 1 km are proposed as matches, applied with ``match_names``.
"""

from __future__ import annotations

import functools
import getpass
import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import ParamSpec, TypeVar

import geopandas as gpd

from ..i18n import Term
from .diff import LayerDiff, diff_layers
from .findings import ERROR, WARNING, Finding, has_errors
from .raster_checks import check_raster
from .readers import quiet_warnings, read_notes, read_vector
from .schema import get_kind
from .store import CommitInfo, LayerStore, StoreError, StoreTransaction, Version
from .update import NameMatch, match_fixes, merge_update, name_matches
from .validate import (
    REFERENCES,
    ValidationContext,
    ValidationReport,
    ValidationSettings,
    apply_fixes,
    near_stored,
    validate_layer,
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
    layer: gpd.GeoDataFrame | None = field(default=None, repr=False)  # the layer to store, schema types
    update: bool = False
    matches: list[NameMatch] = field(default_factory=list)  # proposed, or applied (see fixes_applied)
    incoming: gpd.GeoDataFrame | None = field(default=None, repr=False)  # the file's features, schema types
    columns: tuple[str, ...] = ()  # the schema columns the file has

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


def context_from_store(store: LayerStore | None, kind: str, settings: ValidationSettings | None = None,
                       update_of: gpd.GeoDataFrame | None = None,
                       aliases: dict[str, str] | None = None) -> ValidationContext:
    """What a new ``kind`` layer is checked against, read from the store only when that kind
    needs it: the border lines (crossings) and the ids its references point to; with
    ``update_of`` (the stored layer), the file updates it; ``aliases``: field ids matched to
    stored ones."""
    settings = settings or ValidationSettings()
    updated = None if update_of is None else set(update_of[get_kind(kind).id_column].dropna().astype(str))
    if store is None:
        return ValidationContext(settings=settings, update_of=updated, aliases=aliases or {})
    targets = {target for _, target in REFERENCES.get(kind, []) if target != kind}
    return ValidationContext(
        borders=store.read("borders") if kind == "crossings" else None,
        known_ids={target: store.ids(target) for target in targets},
        settings=settings,
        update_of=updated,
        aliases=aliases or {},
    )


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _quietly(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """``function`` with the warnings of GDAL, pandas, openpyxl and numpy (overflows on absurd
    coordinates, in validation, fixes and the diff alike) logged, not printed: what matters to
    the user is in the findings."""

    @functools.wraps(function)
    def quiet(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with quiet_warnings():
            return function(*args, **kwargs)

    return quiet


def _step(progress: Progress | None, name: str) -> None:
    if progress is not None:
        progress(name)


@_quietly
def check_file(path: Path, kind: str, store: LayerStore | None = None, layer: str | None = None,
               fix: bool = False, settings: ValidationSettings | None = None,
               progress: Progress | None = None, update_of: gpd.GeoDataFrame | None = None,
               aliases: dict[str, str] | None = None) -> ValidationReport:
    """Read and validate a vector file as ``kind``; with ``fix``, apply the fixable repairs;
    with ``update_of`` (the stored layer), as an update of it; ``aliases``: field ids to read
    as the stored ids they were matched to.

    The reader's own findings (columns of a Shapefile left unused…) come first; a file with
    no features is an error, as the import would refuse it. Library warnings are logged, not
    printed. Raises ``LayerReadError`` when the file cannot be read at all.
    """
    spec = get_kind(kind)
    _step(progress, "read")
    raw = read_vector(path, layer=layer, kind=kind)
    _step(progress, "validate")
    context = context_from_store(store, kind, settings, update_of, aliases)
    report = validate_layer(raw, spec, context)
    if fix and report.fixable:
        _step(progress, "fix")
        report = apply_fixes(raw, report, spec, context)
    report.findings = [*read_notes(raw), *report.findings]
    return report


@_quietly
def diff_file(path: Path, kind: str, store: LayerStore, layer: str | None = None,
              fix: bool = False, allow_removals: bool = False,
              progress: Progress | None = None, *, update: bool = False,
              match_names: bool = False) -> ImportResult:
    """What importing the file would change in the store, without changing anything.

    A file with no features is an error; so is a replacement that would remove more than half
    of the stored features (a partial file, a wrong sheet), unless ``allow_removals``. An update
    merges the file into the stored layer (``update.merge_update``). Name matches are proposed
    as warnings, and applied with ``match_names``.
    """
    spec = get_kind(kind)
    if spec.raster:
        if update:
            raise StoreError("raster_update")
        return check_raster_file(path, kind, store)
    stored_layer = store.read(kind)
    update_of = stored_layer if update and stored_layer is not None else None
    report = check_file(path, kind, store, layer, fix, progress=progress, update_of=update_of)
    matches = name_matches(report.layer, stored_layer, spec)
    if matches and match_names:  # checked again, the matched features now the stored ones
        report = check_file(path, kind, store, layer, fix, update_of=update_of,
                            aliases={m.file_id: m.stored_id for m in matches})
    _step(progress, "diff")
    findings = list(report.findings)
    fixes = list(report.fixes_applied) + (match_fixes(matches) if match_names else [])
    incoming = report.layer
    if not match_names:
        findings += [Finding(WARNING, "name_match", m.file_id, {"stored": m.stored_id, "name": m.name,
                                                                "distance_m": m.distance_m})
                     for m in matches]
    new_layer = merge_update(stored_layer, incoming, report.columns, spec) if update else incoming
    diff = diff_layers(stored_layer, new_layer, spec.id_column)
    if update and stored_layer is not None:
        findings += near_stored(new_layer, spec, set(diff.added) | set(diff.changed))
    stored = 0 if stored_layer is None else len(stored_layer)
    if not incoming.empty and not update and not allow_removals and stored and len(diff.removed) > stored / 2:
        findings.append(Finding(ERROR, "removes_most", None,
                                {"removed": len(diff.removed), "stored": stored}))
    return ImportResult(kind, len(incoming), findings, diff, fixes, layer=new_layer, update=update,
                        matches=matches, incoming=incoming, columns=report.columns)


@_quietly
def import_file(path: Path, kind: str, store: LayerStore, user: str | None = None,
                layer: str | None = None, fix: bool = False, allow_removals: bool = False,
                progress: Progress | None = None, *, update: bool = False,
                match_names: bool = False, removals: Collection[str] | None = None,
                matches: Collection[tuple[str, str]] | None = None,
                along: Callable[[StoreTransaction, Version], None] | None = None) -> ImportResult:
    """Validate the file and commit it as the new ``kind`` layer (or, with ``update``, merge
    it into the stored one), or change nothing.

    Nothing is committed while an error finding remains (after the fixes the user
    allowed with ``fix``), nor when the file changes nothing. The layer is merged and
    committed under the store's lock, against the layer as it is then: an update keeps a
    feature another user committed meanwhile. ``removals``: the ids the user saw and agreed
    to remove; ``matches``: the (file id, stored id) pairs the user saw matched by name; the
    import is refused (``StoreError``, store unchanged) when it would remove another feature or
    match other ids. The version records the user, the file's name and SHA-256, the fixes and name
    matches applied, and the ids added, changed and removed. ``along``: more writes that land in
    the same transaction as the layer, or not at all (e.g. a note marked accepted), given the
    transaction and the new version; what it raises leaves the store unchanged.
    """
    path = Path(path)
    user = user or getpass.getuser()
    spec = get_kind(kind)
    if spec.raster and not update:
        result = check_raster_file(path, kind, store)
        if not has_errors(result.findings):
            _step(progress, "commit")
            info = CommitInfo(user=user, source_file=path.name, sha256=sha256_of(path))
            with store.transaction() as tx:
                result.version = tx.commit_raster(kind, path, info)
                if along is not None:
                    along(tx, result.version)
        return result
    result = diff_file(path, kind, store, layer, fix, allow_removals, progress, update=update,
                       match_names=match_names)
    if has_errors(result.findings) or result.unchanged or result.incoming is None:
        return result
    applied = {(m.file_id, m.stored_id) for m in result.matches}
    if match_names and matches is not None and applied != set(matches):
        raise StoreError("changed_meanwhile", kind=Term(f"kinds.{kind}"))
    _step(progress, "commit")
    info = CommitInfo(user=user, source_file=path.name, sha256=sha256_of(path),
                      action="update" if update else "import", fixes=result.fixes_applied)
    with store.transaction() as tx:
        new_layer = (merge_update(tx.current(kind), result.incoming, result.columns, spec) if update
                     else result.incoming)
        version = tx.commit_layer(kind, new_layer, info)
        if removals is not None and not set(version.removed) <= set(removals):
            raise StoreError("changed_meanwhile", kind=Term(f"kinds.{kind}"))  # nothing lands
        if along is not None:
            along(tx, version)
    result.version, result.layer = version, new_layer
    return result


def check_raster_file(path: Path, kind: str, store: LayerStore | None = None,
                      settings: ValidationSettings | None = None) -> ImportResult:
    """Check a raster file as ``kind`` (``raster_checks.check_raster``), against the posts of
    ``store`` when given. Raises ``LayerReadError`` when it is not a readable GeoTIFF."""
    posts = store.read("posts") if store is not None else None
    return ImportResult(kind, 1, check_raster(path, posts, settings))
