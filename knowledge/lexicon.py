"""A described-failure lexicon (``described.yaml``): its words in every language as one regex
matched from a word start, behind a literal gate.

Most texts a channel sees contain none of a lexicon's words, and a regex of some hundreds of
alternatives still tries each word start. So the words are split at load: those whose matches
must contain a literal (:func:`knowledge.prefilter.required_literals`) run only when one
Aho-Corasick pass finds one of those literals; the few without one (``ims?\\b``) form a small
regex that always runs. Together they match exactly what the single regex matched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from knowledge.keywords import KeywordFinder
from knowledge.prefilter import fold, required_literals

# Languages written without spaces between words (described.yaml's codes).
UNSPACED = frozenset({"ja", "zh", "th"})
# Where their words may start: kana, CJK ideographs, Hangul and Thai (and the first letters of the
# Latin words among them, "teams" written against the next character).
UNSPACED_STARTS = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af"


class Lexicon:
    """One lexicon: :meth:`search` says whether any of its words occurs in lower-cased text."""

    __slots__ = ("_gate", "_gated", "_ungated", "words")

    def __init__(self, words: Mapping[str, Sequence[str]]) -> None:
        self.words = tuple((lang, tuple(ws)) for lang, ws in words.items())
        literals: list[str] = []
        gated: dict[bool, list[str]] = {False: [], True: []}  # by "unspaced"
        ungated: dict[bool, list[str]] = {False: [], True: []}
        for lang, lang_words in words.items():
            unspaced = lang in UNSPACED
            for word in lang_words:
                needed = required_literals(re.compile(word))
                if needed is None:
                    ungated[unspaced].append(word)
                else:
                    gated[unspaced].append(word)
                    literals.extend(needed)
        self._gate = KeywordFinder(literals)
        self._gated = _compiled(gated[False], gated[True])
        self._ungated = _compiled(ungated[False], ungated[True])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Lexicon) and self.words == other.words

    def __hash__(self) -> int:
        return hash(self.words)

    def __repr__(self) -> str:
        return f"Lexicon({sum(len(ws) for _, ws in self.words)} words)"

    def search(self, text: str) -> bool:
        """Whether one of the words occurs in ``text`` (lower case) from a word start."""
        if self._ungated is not None and self._ungated.search(text):
            return True
        return (
            self._gated is not None
            and self._gate.any_in(fold(text))
            and self._gated.search(text) is not None
        )


def _compiled(spaced: list[str], unspaced: list[str]) -> re.Pattern[str] | None:
    parts = []
    if spaced:
        parts.append(r"(?<!\w)(?:" + _by_first_letter(spaced) + ")")
    if unspaced:  # no spaces between words: a word may start anywhere (one of its scripts)
        latin = "".join(sorted({w[0] for w in unspaced if w[:1].isascii() and w[:1].isalpha()}))
        parts.append(f"(?=[{UNSPACED_STARTS + latin}])(?:" + _by_first_letter(unspaced) + ")")
    return re.compile("|".join(parts)) if parts else None


def _by_first_letter(words: list[str]) -> str:
    """The words as one alternation, those that start with a plain letter grouped under it
    (``c(?:annot|ould not)``): at a word start the engine then tries a few dozen letters, not
    every word of every language. Order within a letter is kept; a word with a top-level ``|``
    or a quantified first letter is left whole."""
    groups: dict[str, list[str]] = {}
    whole: list[str] = []
    for word in words:
        first, rest = word[:1], word[1:]
        if first.isalnum() and rest[:1] not in ("?", "*", "+", "{") and not _top_level_bar(word):
            groups.setdefault(first, []).append(rest)
        else:
            whole.append(word)
    parts = [
        f"{re.escape(c)}(?:{'|'.join(f'(?:{r})' for r in rests)})" for c, rests in groups.items()
    ]
    return "|".join([*parts, *(f"(?:{w})" for w in whole)])


def _top_level_bar(regex: str) -> bool:
    """Whether ``regex`` has an alternation outside any group or class."""
    depth, in_class, escaped = 0, False, False
    for char in regex:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False
