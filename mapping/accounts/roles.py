"""Roles, what each may do, and how much of a sensitive layer each may see.

Four roles, each with the rights of a delegate and its own:

- **delegate**: view the map and the ranking, leave notes;
- **manager**: weights and profiles, scenarios, the shortlist, exports;
- **gis**: imports, updates, rollback, note review, layer exports;
- **admin**: everything, and accounts and project settings.

Layers carry a sensitivity level (``public`` < ``restricted`` < ``confidential``, after the
OCHA Data Responsibility Guidelines). A role's *clearance* is the highest level it sees at full
precision: delegates and managers see restricted layers coarsened; GIS staff see them as they
are; only admins see confidential ones.

A ``Viewer`` is who is acting: an account's name and role, or on a single-user laptop (a store
without accounts, or a project that says so) the local user, who may do everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from ..errors import BordermapError
from ..i18n import Term


class Sensitivity(IntEnum):
    """How sensitive a layer is; a higher level needs a higher clearance."""

    PUBLIC = 0
    RESTRICTED = 1
    CONFIDENTIAL = 2

    @property
    def label(self) -> str:
        """The level's name as stored and typed (``public``, ``restricted``, ``confidential``)."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Sensitivity:
        """The level named ``text``; ``AccessError`` ``unknown_sensitivity`` otherwise."""
        try:
            return cls[str(text).strip().upper()]
        except KeyError:
            raise AccessError("unknown_sensitivity", value=text,
                              allowed=", ".join(level.label for level in cls)) from None


class Permission(StrEnum):
    """One thing a user may do; each write of the app and the CLI checks one."""

    VIEW = "view"  # the map, the ranking, the method
    NOTE = "note"  # leave a note on the map
    SCORE = "score"  # weights and profiles, saved scoring scenarios
    SCENARIO = "scenario"  # surge scenarios: run, save, compare
    SHORTLIST = "shortlist"
    EXPORT = "export"  # reports, shortlists and their files
    IMPORT = "import"  # imports, updates, clearing a layer, sensitivity levels
    ROLLBACK = "rollback"
    REVIEW_NOTES = "review_notes"  # accept or dismiss delegates' notes
    EXPORT_LAYERS = "export_layers"  # the stored layers as GIS files
    ACCOUNTS = "accounts"  # add, remove accounts, reset passwords; read the audit log
    PROJECT = "project"  # project settings


class Role(StrEnum):
    """A role an account has."""

    DELEGATE = "delegate"
    MANAGER = "manager"
    GIS = "gis"
    ADMIN = "admin"

    @classmethod
    def parse(cls, text: str) -> Role:
        """The role named ``text``; ``AccessError`` ``unknown_role`` otherwise."""
        try:
            return cls(str(text).strip().lower())
        except ValueError:
            raise AccessError("unknown_role", value=text,
                              allowed=", ".join(role.value for role in cls)) from None

    @property
    def permissions(self) -> frozenset[Permission]:
        return PERMISSIONS[self]

    @property
    def clearance(self) -> Sensitivity:
        """The highest sensitivity this role sees at full precision."""
        return CLEARANCE[self]


_DELEGATE = frozenset({Permission.VIEW, Permission.NOTE})
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.DELEGATE: _DELEGATE,
    Role.MANAGER: _DELEGATE | {Permission.SCORE, Permission.SCENARIO, Permission.SHORTLIST,
                               Permission.EXPORT},
    Role.GIS: _DELEGATE | {Permission.IMPORT, Permission.ROLLBACK, Permission.REVIEW_NOTES,
                           Permission.EXPORT_LAYERS},
    Role.ADMIN: frozenset(Permission),
}
CLEARANCE: dict[Role, Sensitivity] = {
    Role.DELEGATE: Sensitivity.PUBLIC,
    Role.MANAGER: Sensitivity.PUBLIC,
    Role.GIS: Sensitivity.RESTRICTED,
    Role.ADMIN: Sensitivity.CONFIDENTIAL,
}


class AccessError(BordermapError):
    """Something the acting user may not do, or an unknown role or level; nothing was written."""

    section = "accounts"


@dataclass(frozen=True)
class Viewer:
    """Who is acting: an account (``local`` False) or the single user of a store without
    accounts (``local`` True, every right; ``name`` is what they typed, may be empty)."""

    name: str
    role: Role
    local: bool = False

    def may(self, permission: Permission) -> bool:
        return permission in self.role.permissions

    def require(self, permission: Permission) -> None:
        """``AccessError`` ``not_allowed`` unless this viewer may do ``permission``."""
        if not self.may(permission):
            raise AccessError("not_allowed", user=self.name, role=Term(f"accounts.roles.{self.role.value}"),
                              action=Term(f"accounts.actions.{permission.value}"))

    @property
    def clearance(self) -> Sensitivity:
        return self.role.clearance

    def sees_full(self, level: Sensitivity) -> bool:
        """Whether a layer of sensitivity ``level`` is shown to this viewer at full precision."""
        return level <= self.clearance


def local_viewer(name: str = "") -> Viewer:
    """The single user of a store without accounts: every right, full clearance."""
    return Viewer(name=name, role=Role.ADMIN, local=True)
