"""Score triage on a held-out set: the independent one (tests/heldout/independent.yaml, sections
``dev`` and ``heldout``), the fresh one (tests/heldout/fresh.yaml, section ``fresh``) or the final
one (tests/heldout/final.yaml, section ``final``) or the untouched one nobody tunes against
(tests/heldout/untouched.yaml, section ``untouched``).

``python -m tests.heldout.report [--set independent|fresh|final|untouched]`` prints one summary
line per section and then every miss: the text's start, what was expected and what triage
returned. The scoring is shared with tests/test_triage_independent.py and
tests/test_triage_later_sets.py, which keep floors.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dialogs.tenant_facts import with_pasted_config
from knowledge.loader import load_knowledge
from knowledge.model import Knowledge
from knowledge.triage import Triage, triage

SET_FILE = Path(__file__).with_name("independent.yaml")
SECTIONS = ("dev", "heldout")
# set name → (file, its sections); ``--set`` picks one, ``independent`` is the default. The later
# sets have one section, named like the set.
SETS: dict[str, tuple[Path, tuple[str, ...]]] = {
    "independent": (SET_FILE, SECTIONS),
    **{
        name: (Path(__file__).with_name(f"{name}.yaml"), (name,))
        for name in (
            "fresh",
            "final",
            "untouched",
            # blind_a … blind_z, blind_aa …: every blind set in the folder, shortest names first
            *sorted(
                (p.stem for p in Path(__file__).parent.glob("blind_*.yaml")),
                key=lambda stem: (len(stem), stem),
            ),
        )
    },
}
POSITIVE_KEYS = frozenset({"text", "symptom", "cause", "contact_type", "peer", "source"})
# The later sets' writers may say why they chose the cause, and flag a judgement call.
OPTIONAL_KEYS = frozenset({"why", "ambiguous"})
NEGATIVE_KEYS = frozenset({"text", "source"})


@dataclass(frozen=True)
class Case:
    """One paste and what a careful support engineer expects triage to make of it."""

    text: str
    source: str
    positive: bool
    symptom: str | None = None
    cause: str | None = None
    contact_type: str | None = None
    peer: str | None = None


@dataclass
class Score:
    """Counts for one section; ``misses`` explains every shortfall, one line per problem."""

    section: str
    positives: int = 0
    recognized: int = 0
    right_cause: int = 0
    right_symptom: int = 0
    with_peer: int = 0
    right_peer: int = 0
    with_contact_type: int = 0
    right_contact_type: int = 0
    negatives: int = 0
    false_positives: int = 0
    misses: list[str] = field(default_factory=list)

    def counts(self) -> tuple[int, int, int, int, int]:
        """(recognised, right cause, right symptom, right peer, right contact type)."""
        return (
            self.recognized,
            self.right_cause,
            self.right_symptom,
            self.right_peer,
            self.right_contact_type,
        )

    def summary(self) -> str:
        """One line: every figure as hits/total and a percentage."""
        return (
            f"{self.section}: recall {_ratio(self.recognized, self.positives)}, "
            f"cause {_ratio(self.right_cause, self.positives)}, "
            f"symptom {_ratio(self.right_symptom, self.positives)}, "
            f"peer {_ratio(self.right_peer, self.with_peer)}, "
            f"contact type {_ratio(self.right_contact_type, self.with_contact_type)}, "
            f"false positives {_ratio(self.false_positives, self.negatives)}"
        )


def _ratio(hits: int, total: int) -> str:
    percent = 100.0 * hits / total if total else 100.0
    return f"{hits}/{total} ({percent:.0f}%)"


def load_set(path: Path = SET_FILE, sections: tuple[str, ...] = SECTIONS) -> dict[str, list[Case]]:
    """The set's sections as cases; raises ``ValueError`` on a malformed entry."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or set(doc) != set(sections):
        raise ValueError(f"{path.name}: top level must be exactly {sections}")
    return {name: _section(name, doc[name]) for name in sections}


def load_named_set(name: str) -> dict[str, list[Case]]:
    """One of ``SETS`` by name; raises ``KeyError`` for an unknown name."""
    path, sections = SETS[name]
    return load_set(path, sections)


def _section(name: str, raw: object) -> list[Case]:
    if not isinstance(raw, dict) or set(raw) != {"positives", "negatives"}:
        raise ValueError(f"{name}: needs exactly 'positives' and 'negatives'")
    cases = [_case(f"{name}.positives[{i}]", e, True) for i, e in enumerate(raw["positives"])]
    cases += [_case(f"{name}.negatives[{i}]", e, False) for i, e in enumerate(raw["negatives"])]
    return cases


def _case(where: str, raw: object, positive: bool) -> Case:
    keys = POSITIVE_KEYS if positive else NEGATIVE_KEYS
    if not isinstance(raw, dict) or not keys <= set(raw) <= keys | OPTIONAL_KEYS:
        optional = sorted(OPTIONAL_KEYS)
        raise ValueError(f"{where}: keys must be {sorted(keys)} (optionally {optional})")
    entry: Mapping[str, Any] = raw
    for key in ("text", "source"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise ValueError(f"{where}: {key} must be a non-empty string")
    if not positive:
        return Case(text=entry["text"], source=entry["source"], positive=False)
    for key in ("symptom", "cause"):
        if not isinstance(entry[key], str):
            raise ValueError(f"{where}: {key} must be an id")
    for key in ("contact_type", "peer"):
        if entry[key] is not None and not isinstance(entry[key], str):
            raise ValueError(f"{where}: {key} must be an id or null")
    return Case(
        text=entry["text"],
        source=entry["source"],
        positive=True,
        symptom=entry["symptom"],
        cause=entry["cause"],
        contact_type=entry["contact_type"],
        peer=entry["peer"],
    )


def unknown_ids(cases: Iterable[Case], kb: Knowledge) -> list[str]:
    """Expected ids the knowledge doesn't define (a typo in the set would skew every figure)."""
    symptoms = {o.id for o in kb.symptoms}
    contact_types = {o.id for o in kb.contact_types}
    problems = []
    for case in cases:
        if not case.positive:
            continue
        if case.symptom not in symptoms:
            problems.append(f"symptom {case.symptom!r}: {_start(case.text)}")
        if case.cause not in kb.causes:
            problems.append(f"cause {case.cause!r}: {_start(case.text)}")
        if case.contact_type is not None and case.contact_type not in contact_types:
            problems.append(f"contact type {case.contact_type!r}: {_start(case.text)}")
    return problems


def score(section: str, cases: Iterable[Case], kb: Knowledge) -> Score:
    """Run triage on every case of a section and count hits and misses."""
    result = Score(section)
    for case in cases:
        got = with_pasted_config(kb, triage(case.text, kb), case.text)
        if case.positive:
            _score_positive(result, case, got)
        else:
            result.negatives += 1
            if got.recognized:
                result.false_positives += 1
                result.misses.append(
                    f"FALSE POSITIVE {_start(case.text)!r}: got {_got(got)}",
                )
    return result


def _score_positive(result: Score, case: Case, got: Triage) -> None:
    result.positives += 1
    wrong: list[str] = []
    if got.recognized:
        result.recognized += 1
    else:
        wrong.append("not recognised")
    if got.likely_causes[:1] == (case.cause,):
        result.right_cause += 1
    else:
        wrong.append(f"cause {case.cause}")
    if got.symptom == case.symptom:
        result.right_symptom += 1
    else:
        wrong.append(f"symptom {case.symptom}")
    if case.peer is not None:
        result.with_peer += 1
        if got.peer_domains[:1] == ((case.peer,) if case.peer else ()):
            result.right_peer += 1
        else:
            wrong.append(f"peer {case.peer}")
    if case.contact_type is not None:
        result.with_contact_type += 1
        if got.contact_type == case.contact_type:
            result.right_contact_type += 1
        else:
            wrong.append(f"contact type {case.contact_type}")
    if wrong:
        result.misses.append(
            f"MISS {_start(case.text)!r}: expected {', '.join(wrong)}; got {_got(got)}",
        )


def _got(got: Triage) -> str:
    return (
        f"recognized={got.recognized} symptom={got.symptom} "
        f"causes={list(got.likely_causes)} contact_type={got.contact_type} "
        f"peers={list(got.peer_domains)} own={list(got.own_domains)}"
    )


def _start(text: str) -> str:
    return " ".join(text.split())[:80]


def main(argv: list[str] | None = None) -> int:
    """Print the summaries, then the misses of each section (``--summary`` for the lines only,
    ``--set NAME`` or ``--set=NAME`` for another set than ``independent``)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        name = _set_name(args)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    kb = load_knowledge()
    scores = [score(section, cases, kb) for section, cases in load_named_set(name).items()]
    for result in scores:
        print(result.summary())
    if "--summary" not in args:
        for result in scores:
            print(f"\n== {result.section}: {len(result.misses)} case(s) with a miss")
            for line in result.misses:
                print(line)
    return 0


def _set_name(args: list[str]) -> str:
    name = "independent"
    for i, arg in enumerate(args):
        if arg == "--set":
            if i + 1 >= len(args):
                raise ValueError(f"--set needs a name: {', '.join(SETS)}")
            name = args[i + 1]
        elif arg.startswith("--set="):
            name = arg.removeprefix("--set=")
    if name not in SETS:
        raise ValueError(f"unknown set {name!r}; choose one of: {', '.join(SETS)}")
    return name


if __name__ == "__main__":
    raise SystemExit(main())
