"""The audit log of exports (records collection ``audit``, one record per export): who, when
(UTC, ISO 8601), what (the command or page, the file's name, its kind), at which precision,
and the sensitive layers concerned with what was done to each (``full``, ``coarsened``,
``withheld``). Administrators (``Permission.ACCOUNTS``) read and export it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..accounts.roles import Permission, Role, Sensitivity, Viewer
from ..i18n import format_time, t
from ..layers.store import LayerStore, now
from ..tables import write_table

COLLECTION = "audit"
TREATMENTS = ("full", "coarsened", "withheld")
PRECISIONS = ("full", "coarsened", "public")
APP_PAGES = "app.pages."  # an export from the app names its page by the page's catalogue key
FIELDS = ("time", "user", "role", "local", "what", "file", "kind", "precision", "layers")


def treatment(levels: Mapping[str, Sensitivity], viewer: Viewer) -> dict[str, str]:
    """Each kind above public and what ``viewer``'s copy does with it: ``full``, ``coarsened``
    (restricted points; lines and polygons are withheld) or ``withheld`` (confidential)."""
    return {kind: "full" if viewer.sees_full(level) else
            "coarsened" if level < Sensitivity.CONFIDENTIAL else "withheld"
            for kind, level in sorted(levels.items()) if level > Sensitivity.PUBLIC}


def recorded_view(treatments: Mapping[str, str]) -> tuple[dict[str, Sensitivity], Viewer]:
    """Levels and a viewer under which each kind of ``treatments`` (as ``treatment`` gives them,
    e.g. an export record's ``precision``) is treated the same way again."""
    level = {"coarsened": Sensitivity.RESTRICTED, "withheld": Sensitivity.CONFIDENTIAL}
    return ({kind: level.get(how, Sensitivity.PUBLIC) for kind, how in treatments.items()},
            Viewer("", Role.DELEGATE))


def precision_of(layers: Mapping[str, str]) -> str:
    """``full`` when a sensitive layer was written at full precision, ``coarsened`` when every
    sensitive layer was coarsened or withheld, ``public`` when none was concerned."""
    return "full" if "full" in layers.values() else "coarsened" if layers else "public"


def log_export(store: LayerStore, viewer: Viewer, what: str, file: str, kind: str,
               layers: Mapping[str, str]) -> dict:
    """Append one export to the log: ``what`` the command (``export``, ``layers export``) or
    the app page's title key (``app.pages.shortlist``), ``file`` the file's name, ``kind`` its
    format, ``layers`` as ``treatment`` gives them. Returns the record written."""
    record = {"time": now(), "user": viewer.name,
              "role": viewer.role.value, "local": viewer.local, "what": what, "file": file, "kind": kind,
              "precision": precision_of(layers), "layers": dict(layers)}
    store.save_record(COLLECTION, f"{record['time']}-{uuid.uuid4().hex[:8]}", record)
    return record


def audit_records(store: LayerStore, viewer: Viewer) -> list[dict]:
    """Every export logged, oldest first (``viewer`` needs ``Permission.ACCOUNTS``)."""
    viewer.require(Permission.ACCOUNTS)
    return store.records(COLLECTION)


def audit_frame(store: LayerStore, viewer: Viewer, lang: str) -> pd.DataFrame:
    """The log as a table in ``lang``, oldest first: roles, pages, layers and precisions in
    words, commands as typed (``bordermap export``), times (UTC) in the locale's format."""
    rows = audit_records(store, viewer)
    table = pd.DataFrame([{name: row.get(name) for name in FIELDS} for row in rows], columns=list(FIELDS))
    table["time"] = [format_time(moment, lang) for moment in table["time"]]
    table["role"] = [t(f"accounts.roles.{role}", lang) for role in table["role"]]
    table["local"] = [t(f"quantity.{'yes' if local else 'no'}", lang) for local in table["local"]]
    table["what"] = [t(what, lang) if str(what).startswith(APP_PAGES) else f"bordermap {what}"
                     for what in table["what"]]
    table["layers"] = ["; ".join(t("protection.audit.layer_treatment", lang, kind=t(f"kinds.{kind}", lang),
                                   treatment=t(f"protection.treatments.{how}", lang))
                                 for kind, how in (layers or {}).items() if how in TREATMENTS)
                       for layers in table["layers"]]
    table["precision"] = [t(f"protection.precisions.{p}", lang) if p in PRECISIONS else "-"
                          for p in table["precision"]]
    return table.rename(columns={name: t(f"protection.audit.{name}", lang) for name in FIELDS})


def write_audit(store: LayerStore, viewer: Viewer, target: Path, lang: str) -> Path:
    """Write the log to ``target`` (.csv or .xlsx), formulas neutralised, whole or not at all."""
    return write_table(audit_frame(store, viewer, lang), target, lang, index=False, round_values=False)
