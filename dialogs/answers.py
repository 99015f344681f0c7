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
