"""Held-out pastes (tests/heldout/pastes.yaml, never signature examples): recall, cause
accuracy and false positives, asserted against floors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.loader import load_knowledge
from knowledge.triage import triage

HELDOUT = yaml.safe_load((Path(__file__).parent / "heldout" / "pastes.yaml").read_text())
KB = load_knowledge("")
RECALL_FLOOR = 0.95
CAUSE_FLOOR = 0.90


def _examples() -> set[str]:
    return {e for s in KB.signatures for e in s.examples}


def test_heldout_texts_are_not_signature_examples() -> None:
    examples = _examples()
    for case in [*HELDOUT["positives"], *HELDOUT["negatives"]]:
        assert case["text"] not in examples
        assert case["source"]


def _score() -> dict[str, Any]:
    positives, negatives = HELDOUT["positives"], HELDOUT["negatives"]
    found = [triage(case["text"], KB) for case in positives]
    recognised = [f for f in found if f.recognized]
    right_cause = [
        f
        for f, case in zip(found, positives, strict=True)
        if f.likely_causes[:1] == (case["cause"],)
    ]
    false_positives = [c["text"] for c in negatives if triage(c["text"], KB).recognized]
    return {
        "recall": len(recognised) / len(positives),
        "cause": len(right_cause) / len(positives),
        "false_positives": false_positives,
    }


def test_heldout_recall_cause_accuracy_and_no_false_positive() -> None:
    score = _score()
    print(f"held-out: {score}")
    assert score["recall"] >= RECALL_FLOOR
    assert score["cause"] >= CAUSE_FLOOR
    assert score["false_positives"] == []


@pytest.mark.parametrize("case", HELDOUT["positives"], ids=lambda c: c["text"][:40])
def test_heldout_symptom_and_peer(case: dict[str, Any]) -> None:
    found = triage(case["text"], KB)
    assert found.recognized
    assert found.symptom == case["symptom"]
    if case["peer"] is not None:
        assert found.peer_domains[:1] == (case["peer"],)
    assert not set(found.peer_domains) & set(found.own_domains)
