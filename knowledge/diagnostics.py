"""The ms-diagnostics code table (``data/diagnostics.yaml``) as signatures.

Each row names a code from Microsoft's "[MS-OCER]: Client Error Codes" tables (or ``code: null``
for a reason text whose code is not confirmed), its reason text, and what it means for
federation. :func:`code_signatures` turns the rows into plain signature mappings, in the shape of
``signatures.yaml``, so the loader validates them like any other signature (examples recognised,
negatives not): a pasted header with the code, or with the reason text, recognises the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Keys a row may have; the rest of a signature is derived.
ROW_KEYS = frozenset(
    {"code", "id", "reason", "header", "title", "meaning", "symptom", "likely_causes"}
    | {"contact_type", "source", "phrases", "keywords", "examples", "negatives"}
)
ROW_REQUIRED = ("reason", "title", "meaning", "symptom", "likely_causes", "source")
PRIORITY = 40


class TableError(ValueError):
    """A row that is not of the table's shape; ``path`` names it (``codes[3].reason``)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def code_signatures(doc: object) -> list[dict[str, Any]]:
    """One signature mapping per row of the ``codes`` table (same order, so paths line up)."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("codes"), list):
        raise TableError("(top)", "expected a mapping with a 'codes' list")
    unknown = set(doc) - {"codes"}
    if unknown:
        raise TableError("(top)", f"unknown keys {sorted(unknown)}")
    return [_row(row, f"codes[{i}]") for i, row in enumerate(doc["codes"])]


def _row(row: object, path: str) -> dict[str, Any]:
    if not isinstance(row, Mapping):
        raise TableError(path, "expected a mapping")
    unknown = set(row) - ROW_KEYS
    if unknown:
        raise TableError(path, f"unknown keys {sorted(unknown)}")
    missing = [k for k in ROW_REQUIRED if k not in row]
    if missing:
        raise TableError(path, f"missing keys {missing}")
    code = row.get("code")
    if code is not None and (not isinstance(code, int) or isinstance(code, bool) or code < 0):
        raise TableError(f"{path}.code", "expected a positive integer or null")
    reason = row["reason"]
    if not isinstance(reason, str) or not reason.strip():
        raise TableError(f"{path}.reason", "expected the reason text")
    header = row.get("header", "ms-diagnostics")
    if header not in ("ms-diagnostics", "ms-diagnostics-public"):
        raise TableError(f"{path}.header", "expected ms-diagnostics or ms-diagnostics-public")
    ident = row.get("id") or (f"ms_diag_{code}" if code is not None else None)
    if ident is None:
        raise TableError(f"{path}.id", "a row without a code needs an id")
    title = row["title"]
    examples = [f"{header}: {reason_header(code, reason)}"]
    negatives = []
    if code is not None:
        title = f"ms-diagnostics {code} — {title}"
        examples.append(f'SIP/2.0 403 Forbidden\n{header}: {code};source="sip.contoso.com"')
        negatives.append(f'{header}: {code}9;reason="Something unrelated"')
    return {
        "id": ident,
        "title": title,
        "meaning": row["meaning"],
        "symptom": row["symptom"],
        "likely_causes": row["likely_causes"],
        **({"contact_type": row["contact_type"]} if "contact_type" in row else {}),
        "source": row["source"],
        "priority": PRIORITY,
        "keywords": ["ms-diagnostics", *row.get("keywords", [])],
        **({"phrases": row["phrases"]} if "phrases" in row else {}),
        "diagnostic_codes": [code] if code is not None else [],
        "diagnostic_reasons": [reason],
        "examples": [*examples, *row.get("examples", [])],
        "negatives": [*negatives, *row.get("negatives", [])],
    }


def reason_header(code: int | None, reason: str) -> str:
    """The header value a server writes: ``CODE;reason="…"`` (or only the reason)."""
    return f'{code};reason="{reason}"' if code is not None else f'reason="{reason}"'
