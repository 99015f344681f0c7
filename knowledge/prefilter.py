"""Which of many regexes can match a text, from one scan for the literals each one needs.

A match of most knowledge patterns must contain one of a few literal strings: ``\\bmeeting
polic(?:y|ies) ...`` needs "meeting polic", an alternation of phrases needs one of its phrases.
:func:`required_literals` derives such a set from the regex's parse tree when the pattern is
loaded (the idea of RE2's and Google Code Search's prefilters, kept small: exact strings and
any-of sets, no trigram index). :class:`PatternIndex` finds every literal of many patterns in one
Aho-Corasick pass (:class:`knowledge.keywords.KeywordFinder`) and says which patterns may match:
only those are run. A pattern with no literal it surely needs (``\\w+@\\w+``) always runs.

The literals are a superset test, never a verdict: a pattern the index lets through may still
fail, and one it holds back cannot match. Case-insensitive patterns run on lower-cased text, so
their literals are lower-cased; the few characters Python's ``re`` also equates under
IGNORECASE (dotless ı and i, long ſ and s, ...) are folded to one form in the literals and in
the scanned text alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from knowledge.keywords import KeywordFinder

# Characters ``re`` treats as equal under IGNORECASE besides their lower-case forms
# (CPython's re._compiler._equivalences), mapped to the first of each group.
_EQUIVALENT = (
    "iı",
    "sſ",
    "µμ",
    "\u0345ιι",
    "\u0390\u1fd3",
    "\u03b0\u1fe3",
    "βϐ",
    "εϵ",
    "θϑ",
    "κϰ",
    "πϖ",
    "ρϱ",
    "ςσ",
    "φϕ",
    "ωω",
    "\u1e61\u1e9b",
    "\ufb05\ufb06",
)
_FOLD = str.maketrans({c: group[0] for group in _EQUIVALENT for c in group[1:]})

MAX_EXACT = 64  # exact strings a node may stand for before only its requirement is kept
MAX_CLASS = 8  # characters a class may offer and still count as exact
MIN_LITERAL = 3  # a requirement whose shortest string is shorter selects too little

_Strings = frozenset[str]


def fold(text: str) -> str:
    """``text`` with IGNORECASE's extra equivalents folded (what the index scans)."""
    return text if text.isascii() else text.translate(_FOLD)


def required_literals(pattern: re.Pattern[str]) -> _Strings | None:
    """Strings one of which every match of ``pattern`` contains, or None when no useful set
    is known (the pattern must always run)."""
    tree = sre_parse.parse(pattern.pattern, pattern.flags)  # it compiled: it parses
    ignore_case = bool(pattern.flags & re.IGNORECASE)
    exact, required = _sequence(list(tree), ignore_case)
    best = _better(required, _as_required(exact))
    if best is None or not _selective(best):
        return None
    return frozenset(fold(s) for s in best)


def _selective(strings: _Strings) -> bool:
    return all(len(s) >= MIN_LITERAL or (len(s) >= 2 and not s.isascii()) for s in strings)


def _as_required(exact: _Strings | None) -> _Strings | None:
    if exact is None or not exact or "" in exact:
        return None
    return exact


def _better(a: _Strings | None, b: _Strings | None) -> _Strings | None:
    """The more selective of two requirements (longer shortest string, then fewer strings)."""
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b, key=lambda s: (min(map(len, s)), -len(s)))


def _sequence(
    items: list[tuple[Any, Any]], ignore_case: bool
) -> tuple[_Strings | None, _Strings | None]:
    """(exact, required) of a concatenation: the strings it stands for when few, and the best
    requirement among its parts (all of them must match, so any one's requirement holds)."""
    run: _Strings | None = frozenset({""})
    whole = True
    best: _Strings | None = None
    for op, av in items:
        exact, required = _node(op, av, ignore_case)
        best = _better(best, required)
        if run is not None and exact is not None and len(run) * len(exact) <= MAX_EXACT:
            run = frozenset(a + b for a in run for b in exact)
            continue
        whole = False
        best = _better(best, _as_required(run))
        run = exact
    best = _better(best, _as_required(run))
    return (run if whole else None), best


def _node(op: Any, av: Any, ignore_case: bool) -> tuple[_Strings | None, _Strings | None]:
    if op is sre.LITERAL:
        char = chr(av)
        return frozenset({char.lower() if ignore_case else char}), None
    if op is sre.IN:
        return _char_class(av, ignore_case), None
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
        return frozenset({""}), None  # zero-width
    if op is sre.SUBPATTERN:
        _, add_flags, del_flags, sub = av
        case = (ignore_case or bool(add_flags & re.IGNORECASE)) and not del_flags & re.IGNORECASE
        return _sequence(list(sub), case)
    if op is sre.ATOMIC_GROUP:
        return _sequence(list(av), ignore_case)
    if op is sre.BRANCH:
        return _branch(av[1], ignore_case)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, high, sub = av
        exact, required = _sequence(list(sub), ignore_case)
        if low == 0:
            if high == 1 and exact is not None:
                return exact | {""}, None
            return None, None
        if low == high == 1:
            return exact, required
        return None, _better(required, _as_required(exact))
    return None, None  # any character, a negated literal, a back-reference


def _char_class(items: list[tuple[Any, Any]], ignore_case: bool) -> _Strings | None:
    chars: set[str] = set()
    for op, av in items:
        if op is sre.LITERAL:
            chars.add(chr(av))
        elif op is sre.RANGE and av[1] - av[0] < MAX_CLASS:
            chars.update(chr(c) for c in range(av[0], av[1] + 1))
        else:
            return None  # a category (\w, \s), a negation, a wide range
    if ignore_case:
        chars = {c.lower() for c in chars}
    return frozenset(chars) if len(chars) <= MAX_CLASS else None


def _branch(branches: list[Any], ignore_case: bool) -> tuple[_Strings | None, _Strings | None]:
    infos = [_sequence(list(b), ignore_case) for b in branches]
    exacts = [e for e, _ in infos]
    if all(e is not None for e in exacts):
        union = frozenset().union(*(e for e in exacts if e is not None))
        if len(union) <= MAX_EXACT:
            return union, None
    required: set[str] = set()
    for exact, own in infos:
        best = _better(own, _as_required(exact))
        if best is None:
            return None, None  # one alternative needs nothing: neither does the whole
        required |= best
    return None, frozenset(required)


class PatternIndex:
    """The patterns that may match a text, found with one scan for all their literals."""

    __slots__ = ("_always", "_by_literal", "_finder")

    def __init__(self, patterns: Iterable[re.Pattern[str]]) -> None:
        always: set[re.Pattern[str]] = set()
        by_literal: dict[str, set[re.Pattern[str]]] = {}
        for pattern in dict.fromkeys(patterns):
            literals = required_literals(pattern)
            if literals is None:
                always.add(pattern)
            else:
                for literal in literals:
                    by_literal.setdefault(literal, set()).add(pattern)
        self._always = frozenset(always)
        self._by_literal = {k: frozenset(v) for k, v in by_literal.items()}
        self._finder = KeywordFinder(self._by_literal)

    def possible(self, text: str) -> frozenset[re.Pattern[str]]:
        """The patterns that may match ``text``: those whose literals occur, and those that
        need none."""
        found = self._finder.found_in(fold(text))
        if not found:
            return self._always
        return self._always.union(*(self._by_literal[literal] for literal in found))
