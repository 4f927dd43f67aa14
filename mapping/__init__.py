"""bordermap: border posts, crossings, roads, settlements and population along G5 Sahel borders."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bordermap")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"
