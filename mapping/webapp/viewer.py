"""Who is using the app in this browser session (see ``mapping.accounts.roles.Viewer``)."""

from __future__ import annotations

from ..accounts.roles import Viewer, local_viewer


def current() -> Viewer:
    """The viewer of this session: on a store without accounts, the local user (every right)."""
    return local_viewer()
