"""Documents saved in the store under a name (scoring and surge scenarios), with who saved
them and when, so that a workshop finds them again by name and knows whose they are."""

from __future__ import annotations

from collections.abc import Mapping

from .store import LayerStore, now

MAX_AUTHOR = 200  # characters


def save_named(store: LayerStore, collection: str, name: str, content: Mapping, author: str) -> dict:
    """Save (or replace) ``content`` as the record ``name`` of ``collection``, with ``name``,
    ``author`` (the signed-in account, or the name typed on a project without sign-in) and
    ``created`` (UTC); returns the record."""
    record = {**content, "name": name, "author": author.strip()[:MAX_AUTHOR], "created": now()}
    store.save_record(collection, name, record)
    return record
