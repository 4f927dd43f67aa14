"""At which precision an export is written: coarsened by default, at full precision only for a
viewer cleared for it who asked (``--full-precision``, the app's checkbox)."""

from __future__ import annotations

from ..accounts.roles import Role, Sensitivity, Viewer
from .levels import ProtectionError


def export_viewer(viewer: Viewer, full_precision: bool) -> Viewer:
    """Whose view an export is written as: ``viewer`` when ``full_precision`` was asked, else
    the same person seeing public layers only (every sensitive layer coarsened or withheld).
    ``ProtectionError`` ``not_cleared`` when ``viewer`` asks full precision without clearance."""
    if not full_precision:
        return Viewer(viewer.name, Role.DELEGATE, viewer.local)
    if viewer.clearance <= Sensitivity.PUBLIC:
        raise ProtectionError("not_cleared", user=viewer.name or "-")
    return viewer
