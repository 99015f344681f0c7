"""Triage never raises and its work is bounded, whatever is pasted."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from knowledge.loader import load_knowledge
from knowledge.triage import (
    MAX_TRIAGE_CHARS,
    MISTYPED_ADDRESS,
    Triage,
    compile_phrase,
    normalise,
    phrase_view,
    triage,
)
from tests.adversarial import ADVERSARIAL_UNITS, paste_of

KB = load_knowledge("")
BUDGET_S = 0.050
GROWTH = 25  # 10x the text: linear work takes ~10x the time, quadratic ~100x

# Fragments of real signatures and markup: the raw material of adversarial pastes.
FRAGMENTS = [
    "This message was not delivered to ",
    "because the address is outside your organization",
    "ms-diagnostics: ",
    "1034;",
    'reason="',
    "federated ",
    "peer ",
    "SIP/2.0 403 ",
    "504 Server ",
    "time-out ",
    "_sipfederationtls._tcp.",
    "contoso.com",
    "@",
    "a@b.",
    ".",
    "Presence ",
    "Unknown",
    "> ",
    "`",
    "**",
    "<mailto:",
    "|",
    ">",
    "&amp;",
    "\u200b",
    "\u201c",
    "\n",
    " ",
    "status: nxdomain, id: 1 ;; flags: qr; query: 1, answer: 0 ",
    "can't find ",
    "sip.",
    "joe(",
    ")@msn.com",
    "can't set up the conversation because your organizations ",
    "not set up to talk to each other",
    "don't have permission to join ",
    "this meeting",
    "é",
    "x" * 63 + ".",
    "-",
    "_",
    # Phrase words, gap fillers and the forms normalisation rewrites.
    "the address is outside your ",
    "organisation ",
    "and is not federated ",
    "isn't ",
    "can't ",
    "cant ",
    "setup ",
    "sign-in ",
    "not have permission to join the ",
    "cannot route this type of sip request ",
    "previous hop federated peer did not ",
    "x y ",
    "a" * 330 + " ",
    "'",
]

fragments = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=40).map("".join)


def _timed(text: str) -> tuple[Triage, float]:
    best = float("inf")
    result = triage(text, KB)
    for _ in range(3):
        start = time.perf_counter()
        result = triage(text, KB)
        best = min(best, time.perf_counter() - start)
    return result, best


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=3000))
def test_triage_never_raises_on_arbitrary_text(text: str) -> None:
    found = triage(text, KB)
    assert found.recognized == (found.signature is not None)
    assert all(a == a.lower() and "@" in a for a in found.addresses)
    assert len(set(found.domains)) == len(found.domains)


@settings(max_examples=150, deadline=None)
@given(fragments)
def test_triage_never_raises_on_signature_fragments(text: str) -> None:
    found = triage(text, KB)
    expected = found.signature.likely_causes if found.signature else ()
    if expected and found.likely_causes[:1] == (MISTYPED_ADDRESS,):
        # an address whose domain cannot exist ("a@b.because") leads with checking the address
        assert any(a.rsplit(".", 1)[-1] not in KB.reserved_tlds for a in found.addresses)
    # Fragments may state facts ("can't find _sipfederationtls._tcp." names the record missing),
    # which reorder the causes: never to none, never to one the knowledge doesn't have.
    assert bool(found.likely_causes) == bool(expected)
    assert set(found.likely_causes) <= set(KB.causes)
    assert len(set(found.likely_causes)) == len(found.likely_causes)


# Words and marks that normalisation rewrites or that the phrase view splits or keeps.
WORDS = st.sampled_from(
    [
        "can't", "cannot", "can", "not", "isn't", "n't", "won't", "dont", "we're", "'",
        "organisation", "organisations", "setup", "set-up", "sign-in", "signin", "partners",
        "the", "a", "s", "ss", "address", "x@y.com", "sip.contoso.com", "_tcp", "-", "(", ")",
        ",", "...", "\u2026", "\u00abquoted\u00bb", "\u201cx\u201d", "\u00e9",
        "ms-diagnostics:", "1027;", 'reason="x"',
    ]
)  # fmt: skip
WORDY = st.lists(WORDS, min_size=1, max_size=20).map(" ".join) | st.text(max_size=200)


@settings(max_examples=400, deadline=None)
@given(WORDY)
@example("can n't")  # an expanded contraction makes "can not", which is rewritten once more
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


@settings(max_examples=400, deadline=None)
@given(WORDY)
def test_a_phrase_matches_the_text_it_was_written_from(text: str) -> None:
    """Whatever the quoting, contractions and spellings: a phrase finds its own words."""
    text = text.replace("|", " ")
    try:
        phrase = compile_phrase(text)
    except ValueError:
        return  # too few or too many words
    assert phrase.search(phrase_view(normalise(text)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragments)
def test_40kb_paste_of_repeated_fragments_is_triaged_within_budget(unit: str) -> None:
    _assert_bounded(paste_of(unit), unit[:80])


def test_named_adversarial_pastes_within_budget() -> None:
    for name, unit in ADVERSARIAL_UNITS.items():
        _assert_bounded(paste_of(unit), name)


def _assert_bounded(paste: str, what: str) -> None:
    """Within the budget, or, on a machine too busy for it, no worse than linear: a tenth of the
    paste measured in the same moment takes at least 1/GROWTH of the time (backtracking that
    grows with the square of the length makes it ~1/100). The figure itself is bench_triage's."""
    _, seconds = _timed(paste)
    if seconds < BUDGET_S:
        return
    _, tenth = _timed(paste[: len(paste) // 10])
    assert seconds < GROWTH * tenth, (
        f"{seconds * 1000:.1f} ms for 40 KB, {tenth * 1000:.1f} ms for 4 KB: {what!r}"
    )


def test_error_at_the_end_of_a_long_log_is_found_and_beyond_the_cap_is_ignored() -> None:
    log = "2025-01-01 10:00:00 INFO routine line\n" * 900  # ~35 KB
    error = 'ms-diagnostics: 1047;reason="Failed to complete TLS negotiation with a federated'
    found = triage(log + error + ' peer server"', KB)
    assert found.signature is not None and found.signature.id == "ms_diag_1047_tls_failed"
    beyond = "x" * MAX_TRIAGE_CHARS + "Presence Unknown"
    assert not triage(beyond, KB).recognized
