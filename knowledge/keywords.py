"""Which of many keywords occur in a text, found in one pass.

The cheap prefilters of signatures, stated facts and cause hints are keywords (ASCII, lower case,
matched anywhere, also inside a longer word). One Aho-Corasick automaton (``ahocorasick-rs``)
finds every one of them that occurs, overlapping ones included, in a single scan of the text
instead of one substring scan per keyword (``bench/bench_triage.py`` has the figures).
"""

from __future__ import annotations

from collections.abc import Iterable

from ahocorasick_rs import AhoCorasick


class KeywordFinder:
    """The keywords ``words`` (duplicates and empty words dropped) and a finder for them."""

    __slots__ = ("_automaton",)

    def __init__(self, words: Iterable[str]) -> None:
        unique = list(dict.fromkeys(w for w in words if w))
        self._automaton = AhoCorasick(unique) if unique else None

    def found_in(self, text: str) -> frozenset[str]:
        """Every keyword that occurs in ``text``."""
        if self._automaton is None:
            return frozenset()
        return frozenset(self._automaton.find_matches_as_strings(text, overlapping=True))

    def any_in(self, text: str) -> bool:
        """Whether any keyword occurs in ``text``."""
        return self._automaton is not None and bool(self._automaton.find_matches_as_indexes(text))
