"""The required-literal prefilter (knowledge/prefilter.py): which literals a regex needs, and
that the index never holds back a pattern that matches.

The strongest check runs every pattern of the shipped knowledge over every text the test data
holds (held-out sets, examples, reasoning cases), normalised and as a phrase view: a pattern that
matches a text must have one of its literals in it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.lexicon import UNSPACED, UNSPACED_STARTS
from knowledge.loader import load_knowledge
from knowledge.prefilter import PatternIndex, fold, required_literals
from knowledge.triage import normalise, phrase_view

TESTS = Path(__file__).parent
DESCRIBED = TESTS.parent / "knowledge" / "data" / "described.yaml"


def literals(source: str, flags: int = 0) -> frozenset[str] | None:
    return required_literals(re.compile(source, flags))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (r"\bmeeting polic(?:y|ies)\b", {"meeting policy", "meeting policies"}),
        (
            r"\b(?:blocked|allowed) domains?\b",
            {"blocked domain", "blocked domains", "allowed domain", "allowed domains"},
        ),
        (r"foo\w+barbaz", {"barbaz"}),  # the longer of two required parts
        (r"(?:abc|defg)\d+(?:xyz)+", {"xyz"}),  # as short as abc|defg, and one string
        (r"\bim ?: ?[\w.]+@", {"im:", "im :", "im: ", "im : "}),
        (r"sip[.:]example", {"sip.example", "sip:example"}),
        (r"(?!global\b)policy", {"policy"}),  # a lookahead needs nothing
        (r"メッセージ要求|消息请求", {"メッセージ要求", "消息请求"}),
    ],
)
def test_literals_every_match_needs(source: str, expected: set[str]) -> None:
    assert literals(source) == frozenset(expected)


@pytest.mark.parametrize(
    "source",
    [
        r"\w+@\w+",  # no literal at all
        r"(?:abc|\d+)",  # one alternative needs none: neither does the whole
        r"(?:meeting)?\s+\w+",  # optional
        r"ab",  # too short to select
        r"[^a]bc",
    ],
)
def test_patterns_without_a_useful_literal_always_run(source: str) -> None:
    assert literals(source) is None


def test_ignorecase_literals_are_lower_case_and_folded() -> None:
    assert literals(r"\bExternal Access\b", re.IGNORECASE) == {"external access"}
    # under IGNORECASE re also equates i and dotless ı: both sides are folded to one form
    pattern = re.compile(r"\bizin verilmi\w+", re.IGNORECASE)
    turkish = "harici erişime ızin verilmiyor"
    assert pattern.search(turkish)
    index = PatternIndex([pattern])
    assert pattern in index.possible(turkish)


def test_index_says_which_patterns_may_match() -> None:
    a = re.compile(r"\bblocked domains?\b")
    b = re.compile(r"\blobby\b")
    c = re.compile(r"\w+@\w+")  # always runs
    index = PatternIndex([a, b, c])
    assert index.possible("the partner is in our blocked domains list") == {a, c}
    assert index.possible("stuck in the lobby") == {b, c}
    assert index.possible("nothing here") == {c}


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("text", "example", "examples") and isinstance(value, str):
                yield value
            elif isinstance(value, list) and key in ("examples", "silent"):
                yield from (v for v in value if isinstance(v, str))
            else:
                yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def test_no_shipped_pattern_is_held_back_from_a_text_it_matches() -> None:
    kb = load_knowledge()
    patterns: set[re.Pattern[str]] = set()
    groups: list[Any] = [kb.cause_hints, kb.stated_symptoms, kb.stated_contact_types]
    groups += [kb.stated_scopes, kb.signatures]
    for group in groups:
        for entry in group:
            for attr in ("patterns", "phrases", "unless", "context", "exclude"):
                patterns.update(getattr(entry, attr, ()))
    needed = {p: required_literals(p) for p in patterns}
    assert sum(v is not None for v in needed.values()) > 0.9 * len(needed)  # it does filter
    files = sorted((TESTS / "heldout").glob("*.yaml")) + sorted(TESTS.glob("*.yaml"))
    files += sorted((TESTS.parent / "knowledge" / "data").glob("*.yaml"))
    texts = [t for f in files for t in _texts(yaml.safe_load(f.read_text(encoding="utf-8")))]
    assert len(texts) > 2000
    held_back = []
    for text in texts:
        normalised = normalise(text)
        for view in (normalised, phrase_view(normalised)):
            folded = fold(view)
            for pattern, need in needed.items():
                if need is None or any(literal in folded for literal in need):
                    continue
                if pattern.search(view):
                    held_back.append((pattern.pattern[:80], text[:80]))
    assert held_back == []


def test_gated_lexicons_match_what_their_words_match() -> None:
    """Each described lexicon behind its literal gate says what a plain search of its words, one
    at a time, says: on every text of the tests, normalised and as the cheap lower-cased view."""
    lexicons = yaml.safe_load(DESCRIBED.read_text(encoding="utf-8"))["lexicons"]
    kb = load_knowledge()
    assert kb.described is not None
    files = sorted((TESTS / "heldout").glob("*.yaml")) + sorted(TESTS.glob("*.yaml"))
    texts = [t for f in files for t in _texts(yaml.safe_load(f.read_text(encoding="utf-8")))]
    views = [v for t in texts for v in (normalise(t), t.lower())]
    assert len(views) > 4000
    for name, entry in lexicons.items():
        words = entry["words"]
        unspaced = [w for lang, ws in words.items() if lang in UNSPACED for w in ws]
        latin = "".join({w[0] for w in unspaced if w[:1].isascii() and w[:1].isalpha()})
        plain = [
            re.compile(
                f"(?=[{UNSPACED_STARTS}{latin}])(?:{w})" if lang in UNSPACED else rf"(?<!\w)(?:{w})"
            )
            for lang, ws in words.items()
            for w in ws
        ]
        gated = getattr(kb.described, name)
        differ = [v[:80] for v in views if gated.search(v) != any(p.search(v) for p in plain)]
        assert differ == [], name
