"""A project: its store, its name, its countries and its defaults.

The settings a user chose are one record of the store (collection ``project``, id
``settings``); what they leave unset is derived from the store each time it is read, so an
import of posts in another country moves the project's countries and map view with it:

- countries: those of the posts layer, else the G5 countries present in ``countries``
  (``is_g5``); the name: those countries' names (``Mauritania–Mali``), or "G5 Sahel";
- budget: USD 3,000,000, the rehabilitation budget of the Mauritania–Mali project, the
  first one bordermap served; rehabilitation costs are in USD (``rehab_cost_usd``);
- note country: the first project country (the note form proposes the country clicked in);
- sign-in: required once the store has accounts (``mapping.accounts.accounts``); a project
  may say it is used by one person (off), the local user with every right.

``init_project`` creates a new store, empty or from the demo data, and never touches an
existing one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .accounts.accounts import has_accounts
from .errors import BordermapError
from .i18n import t
from .layers.store import LayerStore
from .layers.user_store import demo_dir, seed_from_demo, store_at

COLLECTION = "project"
RECORD_ID = "settings"
STARTS = ("demo", "empty")
G5 = ("MRT", "MLI", "BFA", "NER", "TCD")  # the G5 Sahel countries, west to east
DEFAULT_BUDGET = 3_000_000.0  # USD: the Mauritania–Mali project's rehabilitation budget
CURRENCY = "USD"  # rehabilitation costs are stored in USD (posts.rehab_cost_usd)
MAX_NAME = 120  # characters
NAMED_COUNTRIES = 3  # a derived name lists up to this many countries
Bounds = tuple[float, float, float, float]  # west, south, east, north (degrees, EPSG:4326)
_ISO3 = re.compile(r"^[A-Z]{3}$")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class ProjectError(BordermapError):
    """A project setting or creation that is refused; nothing was written."""

    section = "project"


@dataclass(frozen=True)
class ProjectSettings:
    """What the user set for the project; None: derived from the store (see the module)."""

    name: str | None = None
    countries: tuple[str, ...] | None = None
    budget: float | None = None  # USD
    note_country: str | None = None
    sign_in: bool | None = None  # None: required when the store has accounts
    # the map may offer an online basemap (a request to a tile server that reveals where a user
    # looks): off unless the project enables it
    online_tiles: bool = False

    def as_record(self) -> dict:
        record = asdict(self)
        record["countries"] = None if self.countries is None else list(self.countries)
        return record

    @classmethod
    def from_record(cls, record: Mapping) -> ProjectSettings:
        """The settings of a stored record; a value of the wrong type (edited by hand) is unset."""
        name = record.get("name")
        countries = record.get("countries")
        budget = record.get("budget")
        note = record.get("note_country")
        sign_in = record.get("sign_in")
        valid_countries = isinstance(countries, list) and all(
            isinstance(c, str) and _ISO3.match(c) for c in countries)
        valid_budget = isinstance(budget, int | float) and not isinstance(budget, bool) \
            and math.isfinite(budget) and budget >= 0
        budget = float(budget) if valid_budget else None  # type: ignore[arg-type]
        return cls(name=name if isinstance(name, str) and name.strip() else None,
                   countries=tuple(countries) if valid_countries and countries else None,
                   budget=budget,
                   note_country=note if isinstance(note, str) and _ISO3.match(note) else None,
                   sign_in=sign_in if isinstance(sign_in, bool) else None,
                   online_tiles=record.get("online_tiles") is True)


@dataclass(frozen=True)
class Project:
    """The settings in force: what the user set, completed from the store."""

    settings: ProjectSettings
    countries: tuple[str, ...]
    budget: float  # USD
    note_country: str | None
    country_names: dict[str, dict[str, str]] = field(default_factory=dict)  # iso3 -> lang -> name
    currency: str = CURRENCY

    def country_name(self, iso3: str, lang: str) -> str:
        return self.country_names.get(iso3, {}).get(lang) or iso3

    def name(self, lang: str) -> str:
        """The name the user gave, else one made of the project's countries, in ``lang``."""
        if self.settings.name:
            return self.settings.name
        if not self.countries:
            return t("project.unnamed", lang)
        if set(G5) <= set(self.countries):
            return t("project.g5_name", lang)
        if len(self.countries) <= NAMED_COUNTRIES:
            return "–".join(self.country_name(c, lang) for c in self.countries)
        return t("project.countries_name", lang, count=len(self.countries))

    def derived(self) -> list[str]:
        """The settings taken from the store or the defaults, not set by the user (sign-in aside:
        it is not a value shown on the map or in the ranking)."""
        return [k for k, v in asdict(self.settings).items() if v is None and k != "sign_in"]


def load_settings(store: LayerStore) -> ProjectSettings:
    """The project settings record of ``store`` (all unset when there is none)."""
    found = [r for r in store.records(COLLECTION) if r.get("id") == RECORD_ID]
    return ProjectSettings.from_record(found[-1]) if found else ProjectSettings()


def sign_in_required(store: LayerStore) -> bool:
    """Whether users must sign in: the store has accounts and the project does not say it has
    one user (``sign_in`` off)."""
    return load_settings(store).sign_in is not False and has_accounts(store)


def save_settings(store: LayerStore, settings: ProjectSettings) -> None:
    """Write the project settings record; layers and versions are untouched."""
    store.save_record(COLLECTION, RECORD_ID, {"id": RECORD_ID, **settings.as_record()})


def _names(countries: gpd.GeoDataFrame | None) -> dict[str, dict[str, str]]:
    if countries is None or countries.empty:
        return {}
    return {str(i): {"en": str(en), "fr": str(fr)} for i, en, fr in
            zip(countries["iso3"], countries["name_en"], countries["name_fr"], strict=True) if pd.notna(i)}


def derived_countries(layers: Mapping[str, gpd.GeoDataFrame | None]) -> tuple[str, ...]:
    """The countries of the posts layer (ISO3, sorted), else the G5 countries of ``countries``."""
    posts = layers.get("posts")
    if posts is not None and not posts.empty:
        return tuple(sorted(str(c) for c in posts["iso3"].dropna().unique()))
    countries = layers.get("countries")
    if countries is None or countries.empty:
        return ()
    g5 = countries["is_g5"].fillna(False).astype(bool) if "is_g5" in countries else \
        countries["iso3"].isin(G5)
    present = set(countries.loc[g5, "iso3"].astype(str))
    return tuple(c for c in G5 if c in present) + tuple(sorted(present - set(G5)))


def project_of(settings: ProjectSettings, layers: Mapping[str, gpd.GeoDataFrame | None]) -> Project:
    """The project in force: ``settings`` completed from the current ``layers``."""
    countries = settings.countries or derived_countries(layers)
    note = settings.note_country or (countries[0] if countries else None)
    budget = DEFAULT_BUDGET if settings.budget is None else settings.budget
    return Project(settings, countries, budget, note, _names(layers.get("countries")))


def load_project(store: LayerStore, layers: Mapping[str, gpd.GeoDataFrame | None] | None = None) -> Project:
    """The project of ``store``; ``layers``: its current layers when already read."""
    if layers is None:
        layers = {kind: store.read(kind) for kind in ("countries", "posts")}
    return project_of(load_settings(store), layers)


def _shapes(layer: gpd.GeoDataFrame | None, keep: pd.Series | None = None) -> gpd.GeoSeries | None:
    if layer is None or layer.empty:
        return None
    shapes = layer.geometry if keep is None else layer.geometry[keep.to_numpy()]
    shapes = shapes[shapes.notna() & ~shapes.is_empty]
    return shapes if len(shapes) else None


def view_bounds(layers: Mapping[str, gpd.GeoDataFrame | None], countries: tuple[str, ...]) -> Bounds | None:
    """What the map opens on (degrees, EPSG:4326): the posts, else the borders of ``countries``,
    else their polygons, else every border or country; None when the store has none of them."""
    borders, polygons = layers.get("borders"), layers.get("countries")
    chosen = set(countries)
    candidates = [
        _shapes(layers.get("posts")),
        _shapes(borders, borders["iso3_a"].isin(chosen) | borders["iso3_b"].isin(chosen))
        if borders is not None and not borders.empty else None,
        _shapes(polygons, polygons["iso3"].isin(chosen))
        if polygons is not None and not polygons.empty else None,
        _shapes(borders), _shapes(polygons)]
    shapes = next((s for s in candidates if s is not None), None)
    if shapes is None:
        return None
    west, south, east, north = (float(v) for v in shapes.total_bounds)
    return west, south, east, north


# ------------------------------------------------------------------ changing the settings
def checked_name(name: str) -> str:
    """A project name as given, trimmed; refused when empty, too long or holding control characters."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or _CONTROLS.search(name):
        raise ProjectError("bad_name", most=MAX_NAME)
    return name


def checked_countries(codes: str | list[str] | tuple[str, ...], known: set[str]) -> tuple[str, ...]:
    """ISO3 codes from ``MRT,MLI`` (or a list), upper-cased, in the order given; refused when one
    is not three letters, or not a country of the store (``known``: its countries and those of its
    posts, when it has any)."""
    if isinstance(codes, str):
        codes = [c for c in re.split(r"[,;\s]+", codes) if c]
    chosen = tuple(dict.fromkeys(c.strip().upper() for c in codes))
    bad = [c for c in chosen if not _ISO3.match(c) or (known and c not in known)]
    if not chosen or bad:
        raise ProjectError("bad_countries", codes=", ".join(bad) or "-",
                           known=", ".join(sorted(known)) or "-")
    return chosen


def checked_budget(budget: float) -> float:
    if not math.isfinite(budget) or budget < 0:
        raise ProjectError("bad_budget", budget=str(budget))
    return float(budget)


UNSET = "unset"  # the value that gives a setting back to the store's default


def change_settings(store: LayerStore, *, name: str | None = None, countries: str | list[str] | None = None,
                    budget: float | None = None, note_country: str | None = None,
                    sign_in: bool | None = None, online_tiles: bool | None = None,
                    reset: tuple[str, ...] = ()) -> ProjectSettings:
    """Check and save the settings given (None: unchanged; a field named in ``reset``: back to
    its default); every value is checked before anything is written. Sign-in cannot be turned
    on in a store without accounts (no one could sign in)."""
    current = load_settings(store)
    layers = {kind: store.read(kind) for kind in ("countries", "posts")}
    posts = layers["posts"]
    known = set(_names(layers["countries"]))
    if posts is not None:
        known |= set(posts["iso3"].dropna().astype(str))
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = checked_name(name)
    if countries is not None:
        changes["countries"] = checked_countries(countries, known)
    if budget is not None:
        changes["budget"] = checked_budget(budget)
    if note_country is not None:
        changes["note_country"] = checked_countries(note_country, known)[0]
    if sign_in is not None:
        if sign_in and not has_accounts(store):
            raise ProjectError("sign_in_without_accounts")
        changes["sign_in"] = sign_in
    if online_tiles is not None:
        changes["online_tiles"] = online_tiles
    for key in reset:
        if key not in ProjectSettings.__dataclass_fields__:
            raise ProjectError("bad_reset", field=key)
        changes[key] = None
    updated = replace(current, **changes)  # type: ignore[arg-type]
    save_settings(store, updated)
    return updated


# ------------------------------------------------------------------ a new project
def init_project(location: str | Path, start: str, name: str | None = None,
                 progress: Callable[[str], None] | None = None) -> LayerStore:
    """Create the store at ``location`` (a path or a ``postgresql://`` URL): ``empty`` (no
    layer) or from the ``demo`` data, with its project settings record (``name`` when given).
    ``ProjectError`` ``store_exists`` when a store is already there: it is left as it was."""
    if start not in STARTS:
        raise ProjectError("bad_start", start=start, starts=", ".join(STARTS))
    settings = ProjectSettings(name=checked_name(name) if name and name.strip() else None)
    store = store_at(location)
    if store.exists():
        raise ProjectError("store_exists", store=store.location)
    if start == "demo":
        seed_from_demo(store, demo_dir(), progress, new=True)
    else:
        with store.transaction(new=True):
            pass  # the store with its description and versions tables, no layer
    save_settings(store, settings)
    return store
