"""Triage on the untouched held-out set (tests/heldout/untouched.yaml): issue 8 §6's honest figure.

The independent, fresh and final sets have all been tuned against, so they no longer measure
generalisation. This fourth set was researched without opening the signatures, the triage code
beyond its result fields or the earlier sets; its labels were fixed before triage ran on it, and
nobody tunes against it. These tests keep it that way: it is well formed, none of its texts is a
signature example or appears in the other held-out sets, and its figures stay at or above floors
set two below the counts of the day it was added (other work lands in parallel). The floors are
not targets (issue 8 §6 asks for recall ≥ 95 %, a right cause ≥ 90 % and no false positive on
hidden sets); raise them when triage improves in general, never lower them or edit the set to
match triage. Per-case misses: ``python -m tests.heldout.report --set untouched``.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from knowledge.loader import load_knowledge
from knowledge.model import Knowledge
from tests.heldout.report import (
    UNTOUCHED_SECTIONS,
    Case,
    Score,
    load_named_set,
    main,
    score,
    unknown_ids,
)

# (recognised, right cause, right symptom, right peer, right contact type) as minimum counts, and
# the most false positives allowed: the figures of 2026-12-04 on 36 positives and 25 negatives were
# (26, 18, 23, 24, 25) and 0, after the scope wordings (sigs5) (35, 26, 31, 24, 27) and 0; floors
# are two below, the ceiling one above.
FLOORS: tuple[tuple[int, int, int, int, int], int] = ((33, 24, 29, 22, 25), 1)

OLD_SET = Path(__file__).parent / "heldout" / "pastes.yaml"


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return load_knowledge("")


@pytest.fixture(scope="module")
def untouched() -> list[Case]:
    sections = load_named_set("untouched")
    return [case for name in UNTOUCHED_SECTIONS for case in sections[name]]


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _strings(node: object) -> Iterator[str]:
    """Every string anywhere in a loaded YAML document (the old set's layout is not assumed)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def test_set_is_well_formed_and_uses_known_ids(kb: Knowledge, untouched: list[Case]) -> None:
    assert unknown_ids(untouched, kb) == []
    texts = [_norm(case.text) for case in untouched]
    assert len(set(texts)) == len(texts), "a text appears twice"
    positives = [case for case in untouched if case.positive]
    assert len(positives) >= 35 and len(untouched) - len(positives) >= 25
    assert all(case.source.strip() for case in untouched)
    # every symptom and every cause of the article is represented
    assert {case.symptom for case in positives} == {o.id for o in kb.symptoms}
    assert {case.cause for case in positives} == set(kb.causes)


def test_untouched_texts_are_not_signature_examples(kb: Knowledge, untouched: list[Case]) -> None:
    examples = {_norm(e) for s in kb.signatures for e in s.examples}
    leaked = [case.text[:80] for case in untouched if _norm(case.text) in examples]
    assert leaked == [], "untouched texts must never become signature examples"


def test_untouched_texts_are_not_in_the_other_sets(untouched: list[Case]) -> None:
    others = {
        _norm(case.text)
        for name in ("independent", "fresh", "final")
        for cases in load_named_set(name).values()
        for case in cases
    }
    old_texts = {_norm(s) for s in _strings(yaml.safe_load(OLD_SET.read_text(encoding="utf-8")))}
    assert len(others) > 100 and len(old_texts) > 20, "the other sets were not read"
    others |= old_texts
    shared = [case.text[:80] for case in untouched if _norm(case.text) in others]
    assert shared == [], "untouched texts must not repeat texts of the other held-out sets"


def test_figures_stay_at_or_above_todays_floors(kb: Knowledge, untouched: list[Case]) -> None:
    result = score("untouched", untouched, kb)
    print(result.summary())
    counts, most_false_positives = FLOORS
    detail = result.summary() + "\n" + "\n".join(result.misses)
    assert all(g >= f for g, f in zip(_counts(result), counts, strict=True)), detail
    assert result.false_positives <= most_false_positives, detail


def _counts(result: Score) -> tuple[int, int, int, int, int]:
    return (
        result.recognized,
        result.right_cause,
        result.right_symptom,
        result.right_peer,
        result.right_contact_type,
    )


def test_report_scores_the_untouched_set_on_request() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--set", "untouched", "--summary"]) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("untouched: recall ")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--set=untouched"]) == 0
    report = out.getvalue().splitlines()
    assert report[0].startswith("untouched: recall ")
    misses = [line for line in report if line.startswith("== untouched: ")]
    assert misses and "case(s) with a miss" in misses[0]
