"""What validation and reading report: findings, and the error for unreadable files.

Messages come from the catalogues (``validation.<code>`` and ``read.<code>``)
so a GIS officer reads them in English or French.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import BordermapError
from ..i18n import t

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem found in a layer: its severity, a stable code, the feature it concerns."""

    severity: str
    code: str
    feature_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    fixable: bool = False
    row: int | None = None  # 0-based position of the feature in the file, for fixes

    def message(self, lang: str | None = None) -> str:
        text = t(f"validation.{self.code}", lang, **self.params)
        if self.fixable:
            text = f"{text} {t('validation.fixable_hint', lang)}"
        return text

    def as_dict(self, lang: str | None = None) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "feature_id": self.feature_id,
            "message": self.message(lang),
        }


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


def fix_message(fix: str, lang: str | None = None) -> str:
    """A fix recorded with a version (``code:feature``, or for a name match
    ``matched_name:["<file id>", "<stored id>"]``) in words."""
    code, _, feature = fix.partition(":")
    stored = ""
    if code == "matched_name":
        feature, stored = json.loads(feature)
    return t(f"fixes.{code}", lang, feature=feature, stored=stored)


class LayerReadError(BordermapError):
    """A file that cannot be read as a layer at all: its message is in the catalogues."""

    section = "read"
