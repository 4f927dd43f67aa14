"""Who an export is written for: an account of the store (``--as-user NAME``), read from the
``accounts`` records (id = name, with a ``role``), or the local operator."""

from __future__ import annotations

from ..accounts.roles import Role, Viewer
from ..layers.store import LayerStore
from .levels import ProtectionError

ACCOUNTS = "accounts"


def account_viewer(store: LayerStore, name: str) -> Viewer:
    """The viewer of the account called ``name`` (its stored ``role``); ``ProtectionError``
    ``no_account`` when the store has no such account."""
    wanted = name.strip()
    found = [r for r in store.records(ACCOUNTS) if str(r.get("name", "")).strip() == wanted]
    if not wanted or not found:
        raise ProtectionError("no_account", user=name)
    return Viewer(name=wanted, role=Role.parse(str(found[-1].get("role", ""))))
