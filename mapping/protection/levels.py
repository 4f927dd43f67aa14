"""Each layer kind's sensitivity level, kept in the store (records collection ``layer_levels``,
one record per kind, id = kind).

Unset, unofficial crossings, flows and incidents are ``restricted`` (they can expose the
people who cross) and everything else ``public``. For ``crossings`` the level applies to the
unofficial rows only: official crossings are public facts and always shown as they are.
The posts are the object of the ranking and the population is a raster: both stay public.
"""

from __future__ import annotations

from ..accounts.roles import Permission, Sensitivity, Viewer
from ..errors import BordermapError
from ..i18n import Term
from ..layers.schema import VECTOR_KINDS
from ..layers.store import LayerStore, now

COLLECTION = "layer_levels"
DEFAULT_LEVELS: dict[str, Sensitivity] = {"crossings": Sensitivity.RESTRICTED,
                                          "flows": Sensitivity.RESTRICTED,
                                          "incidents": Sensitivity.RESTRICTED}
ALWAYS_PUBLIC = ("posts", "population")
LEVELLED_KINDS = tuple(kind for kind in VECTOR_KINDS if kind not in ALWAYS_PUBLIC)


class ProtectionError(BordermapError):
    """A sensitivity level or an export refused; nothing was written."""

    section = "protection"


def layer_levels(store: LayerStore) -> dict[str, Sensitivity]:
    """The sensitivity level of every vector kind: the stored one, else the default."""
    levels = {kind: DEFAULT_LEVELS.get(kind, Sensitivity.PUBLIC) for kind in VECTOR_KINDS}
    for record in store.records(COLLECTION):
        kind, level = record.get("kind"), record.get("level")
        if kind in LEVELLED_KINDS and isinstance(level, str) and level.upper() in Sensitivity.__members__:
            levels[kind] = Sensitivity[level.upper()]
    return levels


def require_cleared(store: LayerStore, kind: str, viewer: Viewer,
                    level: Sensitivity = Sensitivity.PUBLIC) -> None:
    """``ProtectionError`` ``above_clearance`` unless ``viewer`` sees ``kind`` at full precision
    and is cleared for ``level`` too: a write to a layer (import, update, rollback, clearing, an
    accepted note) or a level change by someone who may not see it is refused."""
    highest = max(layer_levels(store).get(kind, Sensitivity.PUBLIC), level)
    if not viewer.sees_full(highest):
        raise ProtectionError("above_clearance", kind=Term(f"kinds.{kind}"),
                              level=Term(f"accounts.levels.{highest.label}"))


def set_level(store: LayerStore, kind: str, level: Sensitivity, viewer: Viewer) -> None:
    """Set ``kind``'s level (``viewer`` needs ``Permission.IMPORT``); ``ProtectionError``
    ``fixed_level`` for the posts, the population or an unknown kind, ``above_clearance`` when
    the level now or the one asked is above the viewer's clearance (no one lowers the level of
    a layer they may not see, nor raises one out of their own sight)."""
    viewer.require(Permission.IMPORT)
    if kind not in LEVELLED_KINDS:
        raise ProtectionError("fixed_level", kind=Term(f"kinds.{kind}") if kind in ALWAYS_PUBLIC else kind,
                              kinds=", ".join(LEVELLED_KINDS))
    require_cleared(store, kind, viewer, level)
    store.save_record(COLLECTION, kind, {"kind": kind, "level": level.label, "by": viewer.name,
                                         "time": now()})
