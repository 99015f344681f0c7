"""The ms-diagnostics code table (``data/diagnostics.yaml``) as signatures.

Each row names a code from Microsoft's "[MS-OCER]: Client Error Codes" tables (or ``code: null``
for a reason text whose code is not confirmed), its reason text, and what it means for
federation. Rows are validated by :class:`knowledge.schema.DiagnosticsFile`;
:func:`code_signatures` turns them into signature mappings, in the shape of ``signatures.yaml``,
so the loader validates them like any other signature (examples recognised, negatives not): a
pasted header with the code, or with the reason text, recognises the row.
"""

from __future__ import annotations

from typing import Any

from knowledge.schema import DiagnosticsRow

PRIORITY = 40


def code_signatures(rows: list[DiagnosticsRow], exclude: list[str]) -> list[dict[str, Any]]:
    """One signature mapping per row of the ``codes`` table (same order, so paths line up), each
    excluded where the table's ``exclude`` patterns match."""
    return [{**_row(row), "exclude": exclude} for row in rows]


def _row(row: DiagnosticsRow) -> dict[str, Any]:
    code, header = row.code, row.header
    ident = row.id or f"ms_diag_{code}"
    title = row.title
    examples = [f"{header}: {reason_header(code, row.reason)}"]
    negatives = []
    if code is not None:
        title = f"ms-diagnostics {code} — {title}"
        examples.append(f'SIP/2.0 403 Forbidden\n{header}: {code};source="sip.contoso.com"')
        negatives.append(f'{header}: {code}9;reason="Something unrelated"')
    return {
        "id": ident,
        "title": title,
        "meaning": row.meaning,
        "symptom": row.symptom,
        "likely_causes": row.likely_causes,
        **({"contact_type": row.contact_type} if row.contact_type is not None else {}),
        "source": row.source,
        "priority": PRIORITY,
        "keywords": ["ms-diagnostics", *row.keywords],
        "phrases": row.phrases,
        "diagnostic_codes": [code] if code is not None else [],
        "diagnostic_reasons": [row.reason],
        "examples": [*examples, *row.examples],
        "negatives": [*negatives, *row.negatives],
    }


def reason_header(code: int | None, reason: str) -> str:
    """The header value a server writes: ``CODE;reason="…"`` (or only the reason)."""
    return f'{code};reason="{reason}"' if code is not None else f'reason="{reason}"'
