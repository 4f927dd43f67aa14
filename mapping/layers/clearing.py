"""Clearing a layer: every feature removed at once, with the user's explicit consent.

An import of a file without features is refused (a file emptied by mistake must not empty a
layer); clearing is the separate, deliberate act, recorded as a version (action ``clear``)
that a rollback undoes. A cleared layer reads as no layer (``LayerStore.read`` gives None).
"""

from __future__ import annotations

from ..i18n import Term
from .schema import get_kind
from .store import CommitInfo, LayerStore, StoreError, Version


def clearable_ids(store: LayerStore, kind: str) -> list[str]:
    """The ids of the features clearing ``kind`` would remove (sorted); ``StoreError`` when the
    kind is a raster (replaced whole, never cleared) or the layer has no feature."""
    if get_kind(kind).raster:
        raise StoreError("clear_raster", kind=Term(f"kinds.{kind}"))
    ids = sorted(store.ids(kind))
    if store.read(kind) is None:
        raise StoreError("nothing_to_clear", kind=Term(f"kinds.{kind}"))
    return ids


def clear_layer(store: LayerStore, kind: str, user: str) -> Version:
    """Remove every feature of ``kind`` as a new version (action ``clear``) by ``user``."""
    clearable_ids(store, kind)
    with store.transaction() as tx:
        current = tx.current(kind)
        if current is None or current.empty:
            raise StoreError("nothing_to_clear", kind=Term(f"kinds.{kind}"))
        return tx.commit_layer(kind, current.iloc[0:0], CommitInfo(user, action="clear"))
