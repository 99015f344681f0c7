"""Reading typed answers: choice numbers, labels, ids and the synonyms listed in messages.yaml.

Synonyms live under ``synonyms.<question>.<value>`` (and ``synonyms.command.<name>``) as
``|``-separated alternatives, so organisations can localise them with their knowledge override.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from knowledge.model import Knowledge

MAX_ANSWER_CHARS = 200
MIN_PART_CHARS = 4  # "instant messages" names the one label containing it; "all" must be exact
_EDGE_PUNCTUATION = " \t\r\n.,;:!?\"'`()[]<>*_/\\"
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower case, single spaces, no punctuation at either end (``" 2. "`` → ``"2"``)."""
    return _SPACES.sub(" ", text[: MAX_ANSWER_CHARS * 2]).strip(_EDGE_PUNCTUATION).casefold()


def synonyms(kb: Knowledge, key: str) -> frozenset[str]:
    return frozenset(n for part in kb.messages.get(key, "").split("|") if (n := normalise(part)))


def match_option(
    kb: Knowledge,
    question: str,
    text: str,
    options: Sequence[tuple[str, str]],
    *,
    numbers: bool = True,
) -> str | None:
    """The value of the option ``text`` names (by number, id, label, synonym, or words found in
    exactly one label), else ``None``. ``numbers=False`` when no numbered list was shown."""
    if len(text) > MAX_ANSWER_CHARS:
        return None
    answer = normalise(text)
    if not answer:
        return None
    for number, (value, label) in enumerate(options, start=1):
        names = {normalise(value), normalise(label)} | ({str(number)} if numbers else set())
        if answer in names or answer in synonyms(kb, f"synonyms.{question}.{value}"):
            return value
    if len(answer) < MIN_PART_CHARS:
        return None
    part = re.compile(rf"\b{re.escape(answer)}\b")
    containing = [value for value, label in options if part.search(normalise(label))]
    return containing[0] if len(containing) == 1 else None


def is_command(kb: Knowledge, text: str, name: str) -> bool:
    """Whether ``text`` is the typed command ``name`` (``restart``, ``/restart``, a synonym)."""
    if len(text) > MAX_ANSWER_CHARS:
        return False
    answer = normalise(text)
    return answer == name or answer in synonyms(kb, f"synonyms.command.{name}")


def phrases(kb: Knowledge, key: str) -> tuple[str, ...]:
    """The ``|``-separated phrases of message ``key``, normalised (none when the key is absent)."""
    return tuple(n for part in kb.messages.get(key, "").split("|") if (n := normalise(part)))


def _spans(text: str, words: tuple[str, ...]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for word in words:
        pattern = rf"(?<![\w@.]){re.escape(word)}(?![\w@])"
        found.extend(m.span() for m in re.finditer(pattern, text))
    return found


def find_in_words(kb: Knowledge, key: str, text: str, values: Sequence[str]) -> str | None:
    """The one value whose ``<key>.<value>`` phrases occur in free ``text`` ("no, that didn't fix
    it" → ``no``); a phrase inside a longer phrase of another value doesn't count ("not fixed").
    ``None`` when none or several values are named."""
    answer = normalise(text[: MAX_ANSWER_CHARS * 10])
    if not answer:
        return None
    spans = {value: _spans(answer, phrases(kb, f"{key}.{value}")) for value in values}

    def inside_other(value: str, span: tuple[int, int]) -> bool:
        return any(
            a <= span[0] and span[1] <= b and (b - a) > (span[1] - span[0])
            for other, found in spans.items()
            if other != value
            for a, b in found
        )

    named = [v for v, found in spans.items() if any(not inside_other(v, s) for s in found)]
    return named[0] if len(named) == 1 else None


def mentions(kb: Knowledge, key: str, text: str) -> bool:
    """Whether any phrase of message ``key`` occurs in ``text``."""
    return bool(_spans(normalise(text[: MAX_ANSWER_CHARS * 10]), phrases(kb, key)))


def smalltalk(kb: Knowledge, text: str) -> str | None:
    """``greeting`` / ``thanks`` when ``text`` is only that (a short aside), else ``None``."""
    if len(text) > MAX_ANSWER_CHARS:
        return None
    answer = normalise(text).replace("!", "").strip()
    for kind in ("greeting", "thanks"):
        if answer in phrases(kb, f"phrases.smalltalk.{kind}"):
            return kind
    return None
