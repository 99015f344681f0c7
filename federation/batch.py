"""Checking a whole list of domains (an admin's allow list): bounded concurrency, per-line
outcomes, a summary. Invalid lines are outcomes too, never fatal."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from federation.checker import FederationChecker
from federation.domains import parse_domain
from federation.model import CheckResult, InvalidDomain


@dataclass(frozen=True)
class ListEntry:
    line: int
    text: str


@dataclass(frozen=True)
class LineOutcome:
    line: int
    input: str
    result: CheckResult | InvalidDomain

    @property
    def status(self) -> str:
        return "invalid" if isinstance(self.result, InvalidDomain) else self.result.status


@dataclass(frozen=True)
class Summary:
    total: int
    by_status: dict[str, int]
    by_code: dict[str, int]

    @property
    def exit_status(self) -> str:
        """The worst status: problem, then dns_error, then invalid, then ok."""
        for status in ("problem", "dns_error", "invalid"):
            if self.by_status.get(status):
                return status
        return "ok"


def read_list(text: str) -> list[ListEntry]:
    """One domain or address per line; blank lines and ``#`` comments are skipped."""
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        value = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if value:
            entries.append(ListEntry(number, value))
    return entries


async def check_list(
    checker: FederationChecker,
    entries: Iterable[ListEntry],
    *,
    concurrency: int = 50,
    progress: Callable[[], None] | None = None,
) -> list[LineOutcome]:
    """Check every entry with at most ``concurrency`` checks in flight; results in list order."""
    items = list(entries)
    outcomes: list[LineOutcome | None] = [None] * len(items)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(items)):
        queue.put_nowait(index)

    async def worker() -> None:
        while True:
            try:
                index = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            entry = items[index]
            parsed = parse_domain(entry.text)
            if isinstance(parsed, InvalidDomain):
                outcome: CheckResult | InvalidDomain = parsed
            else:
                outcome = (await checker.check(parsed, inputs=[entry.text])).results[0]
            outcomes[index] = LineOutcome(entry.line, entry.text, outcome)
            if progress is not None:
                progress()

    workers = max(1, min(concurrency, len(items)))
    await asyncio.gather(*(worker() for _ in range(workers)))
    return [o for o in outcomes if o is not None]


def summarise(outcomes: Iterable[LineOutcome]) -> Summary:
    by_status: Counter[str] = Counter()
    by_code: Counter[str] = Counter()
    total = 0
    for outcome in outcomes:
        total += 1
        by_status[outcome.status] += 1
        if isinstance(outcome.result, CheckResult):
            by_code.update(outcome.result.codes)
        else:
            by_code["invalid:" + outcome.result.extra.get("code", "")] += 1
    return Summary(total, dict(by_status.most_common()), dict(by_code.most_common()))
