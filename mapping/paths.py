"""Where the data shipped with bordermap lives: inside an installed wheel, else in the source tree."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def shipped(wheel_name: str, source_path: str) -> Path:
    """``mapping/<wheel_name>`` in an installed wheel, else ``<repository>/<source_path>``."""
    installed = PACKAGE / wheel_name
    return installed if installed.exists() else PACKAGE.parent / source_path
