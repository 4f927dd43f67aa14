"""Derived data kept in the store: computed once per import, not once per process.

The indicator table and the base map's prepared layers (and the population picture) take
seconds to compute on a store of 1,000 posts; every new app process (and every page served
after a restart) would compute them again. They are saved as records of the store
(collection ``derived``, one record per purpose: a new one replaces the stale one), each with
the key it was computed from: a SHA-256 of the purpose, the current version number of each
input layer, the settings (e.g. the indicators' radius and reference date) and the code
(bordermap's version and its source files). A record whose key differs, or that cannot be
read back exactly (its SHA-256 differs from the one saved with it, or it does not decode), is
ignored, computed again and replaced; nothing read from a record is shown unless it is what
was saved. A store that cannot be written to is only not cached.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import pandas as pd

from . import package_version
from .access.settings import TravelSettings, as_dict
from .access.surface import Surface, build_surface
from .inputs import Layers
from .layers.store import LayerStore, StoreFailedError
from .maps import MapLayers, prepare_map_layers
from .raster_overlay import Overlay
from .scoring.indicators import compute_indicators

COLLECTION = "derived"
INDICATOR_INPUTS = ("posts", "crossings", "borders", "roads", "settlements", "flows", "incidents",
                    "population", "rivers", "lakes", "countries")
MAP_INPUTS = ("roads", "settlements", "crossings", "rivers", "lakes")
ACCESS_INPUTS = ("posts", "roads", "rivers", "lakes", "countries", "crossings", "settlements", "population")
OVERLAY_INPUTS = ("population",)
T = TypeVar("T")
LayerSource = Callable[[str], gpd.GeoDataFrame | None]  # a kind -> the store's current layer


@cache
def code_digest() -> str:
    """SHA-256 of bordermap's version and every source file of the ``mapping`` package: derived
    data computed by other code is computed again."""
    digest = hashlib.sha256(package_version().encode())
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def input_versions(store: LayerStore, kinds: tuple[str, ...]) -> dict[str, int]:
    """The current version number of each of ``kinds`` (0 when the store has none)."""
    latest = {kind: 0 for kind in kinds}
    for version in store.history():
        if version.kind in latest:
            latest[version.kind] = version.version
    return latest


def derived_key(store: LayerStore, purpose: str, inputs: tuple[str, ...], settings: dict[str, Any]) -> str:
    """The key of ``purpose`` computed from ``inputs`` (layer kinds) and ``settings`` (JSON values)."""
    text = json.dumps({"purpose": purpose, "inputs": input_versions(store, inputs), "settings": settings,
                       "code": code_digest()}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _saved(store: LayerStore, purpose: str, key: str) -> Any | None:
    """The payload saved for ``purpose`` under ``key``, or None (absent, stale or unreadable)."""
    try:
        records = store.records(COLLECTION)
    except (StoreFailedError, ValueError):
        return None
    for record in records:
        if isinstance(record, dict) and record.get("purpose") == purpose and record.get("key") == key:
            payload = record.get("payload")
            return payload if record.get("sha256") == payload_digest(payload) else None
    return None


def payload_digest(payload: Any) -> str:
    """SHA-256 of a payload's JSON text (keys sorted): a record changed since it was saved
    (damaged by hand or by another program) no longer matches and is computed again."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _save(store: LayerStore, purpose: str, key: str, payload: Any) -> None:
    """Save ``payload`` as the one record of ``purpose`` (the stale one replaced); a store that
    cannot be written to (read-only, locked too long) is left as it is."""
    with contextlib.suppress(StoreFailedError):
        store.save_record(COLLECTION, purpose, {"purpose": purpose, "key": key,
                                                "sha256": payload_digest(payload), "payload": payload})


def derived(store: LayerStore, purpose: str, inputs: tuple[str, ...], settings: dict[str, Any],
            compute: Callable[[], T], encode: Callable[[T], Any], decode: Callable[[Any], T]) -> T:
    """``compute()``'s result, read from the store when saved under the same key, else computed
    and saved. ``encode`` turns it into JSON values, ``decode`` back (raising on anything it does
    not recognise); a result that does not come back equal from ``decode(encode(...))`` is not
    saved (see ``same``)."""
    key = derived_key(store, purpose, inputs, settings)
    payload = _saved(store, purpose, key)
    if payload is not None:
        try:
            return decode(payload)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            pass  # a damaged record: computed again and replaced
    result = compute()
    try:
        payload = encode(result)
        if not same(decode(json.loads(json.dumps(payload))), result):
            return result
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return result
    _save(store, purpose, key, payload)
    return result


def same(a: object, b: object) -> bool:
    """Whether two results are equal: tables with the same values, types, order and attributes."""
    if isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame):
        return (a.equals(b) and list(a.columns) == list(b.columns) and a.index.equals(b.index)
                and a.index.name == b.index.name and list(a.dtypes) == list(b.dtypes)
                and json.dumps(a.attrs, sort_keys=True) == json.dumps(b.attrs, sort_keys=True))
    return a == b


# ------------------------------------------------------------------ tables as JSON
def table_to_json(table: pd.DataFrame) -> dict:
    """A table as JSON values: index, then each column's dtype and values (missing as None)."""
    def values(series: pd.Series | pd.Index) -> list:
        return [None if pd.isna(v) else v for v in series.astype(object).tolist()]

    return {"index": values(table.index), "index_name": table.index.name,
            "index_dtype": str(table.index.dtype), "attrs": table.attrs,
            "columns": [[str(name), str(dtype), values(table[name])]
                        for name, dtype in table.dtypes.items()]}


def table_from_json(data: dict) -> pd.DataFrame:
    """The table saved by ``table_to_json``; ``ValueError`` when ``data`` is not such a table."""
    index = pd.Index(data["index"], dtype=data["index_dtype"], name=data["index_name"])
    columns = {}
    for name, dtype, values in data["columns"]:
        if len(values) != len(index):
            raise ValueError(f"column {name} has {len(values)} values for {len(index)} rows")
        columns[name] = pd.Series(values, index=index, dtype=dtype if dtype != "bool" else object)
        if dtype == "bool":
            if not all(isinstance(v, bool) for v in values):
                raise ValueError(f"column {name} is not yes/no")
            columns[name] = columns[name].astype(bool)
    table = pd.DataFrame(columns, index=index)
    if not isinstance(data["attrs"], dict):
        raise ValueError("attrs")
    table.attrs = data["attrs"]
    return table


# ------------------------------------------------------------------ what the app derives
def _read(read: LayerSource, kinds: tuple[str, ...]) -> dict[str, gpd.GeoDataFrame]:
    """The vector layers of ``kinds`` that the store has."""
    layers = {kind: read(kind) for kind in kinds if kind != "population"}
    return {kind: layer for kind, layer in layers.items() if layer is not None}


def indicator_table(store: LayerStore, read: LayerSource, settings: dict[str, float],
                    day: dt.date, travel: dict[str, TravelSettings] | None = None) -> pd.DataFrame:
    """The indicators of every post (``compute_indicators``) under the profile's ``[indicators]``
    ``settings`` as of ``day``, with the travel-time indicators of the modes in ``travel``;
    ``read`` gives a layer of the store when they must be computed."""
    from .scoring.pipeline import layers_from_layers, params_from_settings  # the pipeline runs surges here

    travel = travel or {}
    key = {"indicators": settings, "day": day.isoformat(),
           "access": {mode: as_dict(s) for mode, s in travel.items()}}
    return derived(store, "indicators", INDICATOR_INPUTS, key,
                   lambda: compute_indicators(layers_from_layers(_read(read, INDICATOR_INPUTS), store),
                                              params_from_settings(settings, day, travel)),
                   table_to_json, table_from_json)


def map_layers(store: LayerStore, read: LayerSource, lang: str = "en",
               limited: dict[str, str] | None = None) -> MapLayers:
    """The base map's roads, settlements, crossings, rivers and lakes, prepared
    (``maps.prepare_map_layers``). ``limited``: the kinds ``read`` gives coarsened or withheld,
    with their levels (``mapping.protection.shown``); their labels are in ``lang``, and they are
    kept apart from the full layers' record."""
    if not limited:
        return derived(store, "map_layers", MAP_INPUTS, {},
                       lambda: prepare_map_layers(_read(read, MAP_INPUTS)), MapLayers.as_dict,
                       MapLayers.from_dict)
    return derived(store, "map_layers_limited", MAP_INPUTS, {"lang": lang, "limited": limited},
                   lambda: prepare_map_layers(_read(read, MAP_INPUTS), lang), MapLayers.as_dict,
                   MapLayers.from_dict)


def _overlay_from_dict(data: dict) -> Overlay:
    url, bounds = data["url"], data["bounds"]
    if not isinstance(url, str) or not url.startswith("data:image/png;base64,"):
        raise ValueError("not a picture")
    return Overlay(url, [[float(v) for v in corner] for corner in bounds])


def population_overlay(store: LayerStore, compute: Callable[[], Overlay | None]) -> Overlay | None:
    """The population picture (``compute()``, None without a usable raster), kept per raster
    version; no picture is kept as ``{"none": true}``."""
    return derived(store, "population_overlay", OVERLAY_INPUTS, {}, compute,
                   lambda o: {"none": True} if o is None else {"url": o.url, "bounds": o.bounds},
                   lambda d: None if d.get("none") is True else _overlay_from_dict(d))


def access_surface(store: LayerStore, read: LayerSource, settings: TravelSettings, mode: str,
                   progress: Callable[[str], None] | None = None) -> Surface:
    """The travel-time surface of ``mode`` (``mapping.access.surface.build_surface``) under the
    ``[access]`` ``settings``, kept per layer versions and settings."""
    def compute() -> Surface:
        layers = _read(read, ACCESS_INPUTS)
        inputs = Layers(layers["posts"], roads=layers.get("roads"), rivers=layers.get("rivers"),
                        lakes=layers.get("lakes"), countries=layers.get("countries"),
                        crossings=layers.get("crossings"), settlements=layers.get("settlements"),
                        population=store.raster_source("population"))
        return build_surface(inputs, settings, mode, progress=progress)

    key = {"mode": mode, "access": as_dict(settings.with_changes(minutes=[60]))}  # times do not change it
    return derived(store, f"access_surface_{mode}", ACCESS_INPUTS, key, compute,
                   Surface.as_payload, Surface.from_payload)
