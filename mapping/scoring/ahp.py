"""Analytic Hierarchy Process: weights from a pairwise comparison matrix (Saaty).

Weights are the principal right eigenvector of the reciprocal matrix, scaled to
sum to 1; lambda_max is its eigenvalue; the consistency index is
CI = (lambda_max - n) / (n - 1) and the consistency ratio CR = CI / RI(n) with
Saaty's random indices. CR above 0.10 means the judgements should be revisited.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import BordermapError

# Saaty's random consistency index by matrix size (1..15)
RANDOM_INDEX = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59)
CR_LIMIT = 0.10
RECIPROCAL_TOLERANCE = 0.01
SAATY = (1, 2, 3, 4, 5, 6, 7, 8, 9)  # the judgements of Saaty's scale (and their inverses)


class AHPError(BordermapError, ValueError):
    """A matrix that is not a usable pairwise comparison; ``code`` names the catalogue message."""

    section = "ahp"


@dataclass(frozen=True)
class AHPResult:
    """Weights by criterion (sum 1), lambda_max, consistency index and ratio."""

    weights: dict[str, float]
    lambda_max: float
    consistency_index: float
    consistency_ratio: float

    @property
    def consistent(self) -> bool:
        return self.consistency_ratio <= CR_LIMIT

    def as_dict(self) -> dict:
        return {"weights": self.weights, "lambda_max": self.lambda_max,
                "consistency_ratio": self.consistency_ratio}


def ahp_weights(names: list[str], matrix: np.ndarray) -> AHPResult:
    """Weights, lambda_max and consistency of a positive reciprocal matrix a_ij = 1 / a_ji."""
    a = np.asarray(matrix, dtype=float)
    n = len(names)
    if a.shape != (n, n) or n < 2:
        raise AHPError("not_square", rows=a.shape[0], columns=a.shape[1] if a.ndim == 2 else 0)
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise AHPError("not_positive")
    bad = np.argwhere(np.abs(a * a.T - 1.0) > RECIPROCAL_TOLERANCE)
    if len(bad):
        i, j = bad[0]
        raise AHPError("not_reciprocal", a=names[i], b=names[j], ab=a[i, j], ba=a[j, i])
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    vector = np.abs(vectors[:, k].real)
    weights = vector / vector.sum()
    lambda_max = float(values[k].real)
    ci = (lambda_max - n) / (n - 1)
    ri = RANDOM_INDEX[n - 1] if n <= len(RANDOM_INDEX) else RANDOM_INDEX[-1]
    cr = ci / ri if ri > 0 else 0.0
    return AHPResult(dict(zip(names, weights.tolist(), strict=True)), lambda_max, ci, max(cr, 0.0))


def parse_cell(cell: str) -> float:
    """A judgement such as ``3``, ``1/3`` or ``0,5`` as a number."""
    text = cell.strip()
    if "/" not in text:
        text = text.replace(",", ".")
    try:
        return float(Fraction(text))
    except (ValueError, ZeroDivisionError):
        raise AHPError("bad_cell", value=cell) from None


def saaty_judgement(ratio: float) -> str:
    """The judgement of Saaty's scale (``3``, ``1/3``…) nearest to a ratio of two weights, on a
    log scale."""
    value = min(SAATY, key=lambda s: abs(np.log(s) - abs(np.log(ratio))))
    return str(value) if ratio >= 1 or value == 1 else f"1/{value}"


def judgements_from_weights(weights: list[float]) -> list[list[str]]:
    """A pairwise matrix of judgements that expresses ``weights``: each cell the Saaty judgement
    of weight i over weight j (``1`` where a weight is zero)."""
    return [[saaty_judgement(wi / wj) if wi > 0 and wj > 0 else "1" for wj in weights] for wi in weights]


def matrix_from_upper(cells: list[list[str]]) -> np.ndarray:
    """The reciprocal matrix from judgements typed above the diagonal (the cells below it and
    on it are ignored: below mirrors above, the diagonal is 1)."""
    matrix = np.eye(len(cells))
    for i, row in enumerate(cells):
        for j in range(i + 1, len(row)):
            matrix[i, j] = parse_cell(str(row[j]))
            matrix[j, i] = 1 / matrix[i, j] if matrix[i, j] else np.inf  # ahp_weights refuses a zero
    return matrix


def read_matrix(text: str) -> tuple[list[str], np.ndarray]:
    """Parse a square CSV: criterion names in the header and the first column, cells like 3 or 1/3.

    Accepts ``,`` ``;`` or tab separators (the decimal comma with ``;``).
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 3:
        raise AHPError("not_square", rows=max(len(lines) - 1, 0), columns=0)
    try:
        dialect = csv.Sniffer().sniff(lines[0], delimiters=",;\t")
    except csv.Error:
        raise AHPError("not_square", rows=len(lines) - 1, columns=0) from None
    rows = [r for r in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in r)]
    header = [c.strip() for c in rows[0][1:]]
    names = [r[0].strip() for r in rows[1:]]
    if names != header:
        raise AHPError("names_differ", rows=", ".join(names), columns=", ".join(header))
    if any(len(r) != len(rows[0]) for r in rows):
        raise AHPError("not_square", rows=len(names), columns=len(header))
    matrix = np.array([[parse_cell(c) for c in r[1:]] for r in rows[1:]])
    return names, matrix


def ahp_from_csv(path: str | Path) -> AHPResult:
    """AHP weights of the pairwise matrix in a CSV file (UTF-8, with or without BOM)."""
    names, matrix = read_matrix(Path(path).read_text(encoding="utf-8-sig"))
    return ahp_weights(names, matrix)
