"""Files uploaded through the app, kept in a temporary folder while they are checked and imported."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MAX_STEM = 100  # characters of an uploaded file's name kept (the suffix, which names the format, is kept)


def safe_file_name(name: str) -> str:
    """The base name of an uploaded file with only letters, digits, dot, dash and underscore
    (no folder, so nothing is written outside the temporary folder), its stem cut to
    ``MAX_STEM`` characters and its suffix lower-cased (at most 10 characters)."""
    path = Path(re.sub(r"[^\w.\-]", "_", Path(name.replace("\\", "/")).name))
    stem = path.stem.strip(".")[:MAX_STEM] or "upload"
    return stem + path.suffix.lower()[:10]


@contextmanager
def saved_upload(name: str, content: bytes) -> Iterator[Path]:
    """The uploaded ``content`` written under its safe name in a temporary folder, removed after."""
    with tempfile.TemporaryDirectory(prefix="bordermap-upload-") as folder:
        path = Path(folder) / safe_file_name(name)
        path.write_bytes(content)
        yield path
