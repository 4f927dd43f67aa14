"""Which posts a ranking covers: some countries, some borders, or every post (all of the G5).

A :class:`Selection` names countries (ISO3) and borders (:func:`~mapping.layers.borders.pair_id`,
``MLI-MRT``). A post is selected when its country is one of the countries (if any are named)
and the border it serves is one of the borders (if any are named): the two filters narrow
each other. An empty selection keeps every post.

The border a post serves is read in one place, :func:`post_borders`: the indicator table's
``border_id`` column when it has one, otherwise
:func:`~mapping.layers.borders.served_borders` of the posts and borders layers.

The selection is applied to the indicator table *before* scoring, so every criterion is
normalised over the selected posts only: the ranking of one border is the one its delegates
would make by themselves, not a slice of the regional ranking.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from ..errors import BordermapError
from ..i18n import t
from ..layers.borders import border_pairs, pair_id, served_borders

BORDER_COLUMN = "border_id"
_COUNTRY = re.compile(r"[A-Z]{3}")
_BORDER = re.compile(r"([A-Z]{3})\s*[-–]\s*([A-Z]{3})")


class SelectionError(BordermapError, ValueError):
    """A selection that names an unknown country or border, or keeps no post."""

    section = "selection"


def country_code(text: str) -> str:
    """A country code as the selection keeps it: three letters, upper case
    (:class:`SelectionError` ``bad_country`` otherwise)."""
    code = str(text).strip().upper()
    if not _COUNTRY.fullmatch(code):
        raise SelectionError("bad_country", value=str(text).strip())
    return code


def border_code(text: str) -> str:
    """A border as the selection keeps it: ``AAA-BBB``, the two codes sorted (``MRT-MLI`` is
    ``MLI-MRT``); :class:`SelectionError` ``bad_border`` otherwise."""
    match = _BORDER.fullmatch(str(text).strip().upper())
    if match is None or match.group(1) == match.group(2):
        raise SelectionError("bad_border", value=str(text).strip())
    return pair_id(match.group(1), match.group(2))


def split_codes(values: Iterable[str]) -> list[str]:
    """Codes given several times and/or as comma lists (``MLI,MRT``), in order, blanks dropped."""
    return [part.strip() for value in values for part in str(value).split(",") if part.strip()]


@dataclass(frozen=True)
class Selection:
    """Countries (ISO3) and borders (``MLI-MRT``), each sorted and distinct; empty means all."""

    countries: tuple[str, ...] = ()
    borders: tuple[str, ...] = ()

    @classmethod
    def of(cls, countries: Iterable[str] = (), borders: Iterable[str] = ()) -> Selection:
        """A selection from codes as users write them (any case, ``MRT-MLI``, comma lists)."""
        return cls(tuple(sorted({country_code(c) for c in split_codes(countries)})),
                   tuple(sorted({border_code(b) for b in split_codes(borders)})))

    @property
    def everything(self) -> bool:
        """True when nothing is filtered out."""
        return not self.countries and not self.borders

    def to_dict(self) -> dict[str, list[str]]:
        return {"countries": list(self.countries), "borders": list(self.borders)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Iterable[str]] | None) -> Selection:
        data = data or {}
        return cls.of(data.get("countries", ()), data.get("borders", ()))

    def check(self, countries: Iterable[str], borders: Iterable[str]) -> None:
        """Refuse a code that is not one of ``countries`` (of the posts) or ``borders`` (of the
        borders layer and of the posts), naming it and the codes that exist."""
        known_countries = sorted({str(c) for c in countries if isinstance(c, str) and c})
        for code in self.countries:
            if code not in known_countries:
                raise SelectionError("unknown_country", value=code,
                                     known=", ".join(known_countries) or "-")
        known_borders = sorted({str(b) for b in borders if isinstance(b, str) and b})
        for code in self.borders:
            if code not in known_borders:
                raise SelectionError("unknown_border", value=code, known=", ".join(known_borders) or "-")

    def mask(self, iso3: pd.Series, border: pd.Series) -> pd.Series:
        """Which posts are selected (aligned on ``iso3``'s index)."""
        keep = pd.Series(True, index=iso3.index)
        if self.countries:
            keep &= iso3.astype(str).str.upper().isin(self.countries)
        if self.borders:
            keep &= border.reindex(iso3.index).isin(self.borders)
        return keep

    def apply(self, table: pd.DataFrame, post_border: pd.Series,
              known_borders: Iterable[str] = ()) -> pd.DataFrame:
        """The rows of ``table`` (index post id, column ``iso3``) that are selected, their
        ``attrs`` kept; ``post_border`` is :func:`post_borders` of the same posts.

        Unknown codes are refused (:meth:`check`; ``known_borders`` adds the borders of the
        borders layer that no post serves), and so is a selection that keeps no post."""
        if self.everything:
            return table
        self.check(table["iso3"].dropna(), [*post_border.dropna(), *known_borders])
        kept = table[self.mask(table["iso3"], post_border).to_numpy()]
        if kept.empty:
            code = "no_posts_of_countries_on_borders" if self.countries else "no_posts_on_borders"
            raise SelectionError(code, countries=", ".join(self.countries), borders=", ".join(self.borders))
        kept.attrs = dict(table.attrs)
        return kept

    def describe(self, lang: str, names: Mapping[str, str] | None = None) -> str:
        """The selection in words: ``all posts``, or the countries and borders chosen (country
        names from ``names``, ISO3 -> name, where given)."""
        if self.everything:
            return t("selection.all", lang)
        parts = []
        if self.countries:
            parts.append(t("selection.countries", lang,
                           countries=", ".join(country_name(c, names) for c in self.countries)))
        if self.borders:
            parts.append(t("selection.borders", lang,
                           borders=", ".join(border_name(b, names) for b in self.borders)))
        return t("selection.separator", lang).join(parts)


def country_names(countries: gpd.GeoDataFrame | None, lang: str) -> dict[str, str]:
    """ISO3 -> country name in ``lang`` (column ``name_<lang>``) from a countries layer."""
    column = f"name_{lang}"
    if countries is None or column not in countries:
        return {}
    return {str(k): str(v) for k, v in zip(countries["iso3"], countries[column], strict=True)
            if isinstance(v, str) and v}


def country_name(code: str, names: Mapping[str, str] | None = None) -> str:
    """A country's name from ``names`` (ISO3 -> name), else its code."""
    return str((names or {}).get(code) or code)


def border_name(border: str, names: Mapping[str, str] | None = None) -> str:
    """A border in words, ``Mali – Mauritania (MLI-MRT)``, or its id when a name is unknown."""
    first, _, second = str(border).partition("-")
    if names and first in names and second in names:
        return f"{names[first]} – {names[second]} ({border})"
    return str(border)


def border_ids(borders: gpd.GeoDataFrame | None) -> list[str]:
    """The border pairs of a borders layer (``MLI-MRT``), sorted; none without the layer."""
    if borders is None or borders.empty:
        return []
    return list(border_pairs(borders).index)


def post_borders(table: pd.DataFrame, posts: gpd.GeoDataFrame | None = None,
                 borders: gpd.GeoDataFrame | None = None) -> pd.Series:
    """The border each post of ``table`` (index post id) serves, None when unknown: the
    table's ``border_id`` column when it has one, else ``served_borders(posts, borders)``."""
    if BORDER_COLUMN in table:
        found = table[BORDER_COLUMN]
    elif posts is None or posts.empty:
        found = pd.Series(None, index=table.index, dtype=object)
    else:
        unique = posts.drop_duplicates("post_id")
        served = served_borders(unique, borders)
        found = pd.Series(served.to_numpy(), index=unique["post_id"].astype(str).to_numpy(),
                          dtype=object).reindex(table.index.astype(str))
    return pd.Series([v if isinstance(v, str) and v else None for v in found], index=table.index,
                     dtype=object, name=BORDER_COLUMN)


def with_borders(table: pd.DataFrame, posts: gpd.GeoDataFrame | None,
                 borders: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """``table`` with its ``border_id`` column (:func:`post_borders`), its ``attrs`` kept."""
    if BORDER_COLUMN in table:
        return table
    out = table.assign(**{BORDER_COLUMN: post_borders(table, posts, borders)})
    out.attrs = dict(table.attrs)
    return out
