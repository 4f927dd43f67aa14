"""bordermap: border posts, crossings, roads, settlements and population along G5 Sahel borders."""

from __future__ import annotations

from functools import cache


@cache
def package_version() -> str:
    """The installed version of bordermap ("0.0.0+source" from a source tree not installed);
    read on first use, as scanning the installed packages takes a tenth of a second."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bordermap")
    except PackageNotFoundError:
        return "0.0.0+source"


def __getattr__(name: str) -> str:
    """``mapping.__version__``, computed when first asked for."""
    if name == "__version__":
        return package_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
