"""The pasted tenant configuration's cost, each figure next to a baseline measured in the same run.

Run on demand: ``.venv/bin/python bench/bench_tenant_config.py [--seconds 1]``.

(a) ``looks_like_tenant_config()`` on ordinary chat (the check a conversation makes on every
    message before parsing): messages per second. Baseline: ``str.lower()`` plus one ``in`` for
    a setting name over the same messages (the least any recogniser must do).
(b) 40 KB pastes through ``parse_tenant_config()`` + ``judge_tenant_config()``: real output
    repeated, the adversarial triage units and configuration-shaped worst cases (open braces
    that never close, endless wrapped lines, dash lines, deep JSON): the worst per-paste time
    — target < 50 ms. Baseline: ``str.split("\\n")`` + ``str.lower()`` over the same paste (the
    unavoidable linear pass).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from federation.tenant_config import (
    TenantConfig,
    judge_tenant_config,
    looks_like_tenant_config,
    parse_tenant_config,
)
from tests.adversarial import ADVERSARIAL_UNITS, PASTE_BYTES, paste_of

CHAT = [
    "hi team, lunch at 12?",
    "Can someone review my PR for the payments service before 5?",
    "The Teams meeting moved to 3pm: see the calendar invite",
    "our users can't chat with fabrikam.com since monday, any idea?",
    "is AllowFederatedUsers the right setting? we set it to True yesterday",
    "thanks! :+1:",
    'ms-diagnostics: 1047;reason="Failed to complete TLS negotiation with a federated peer"',
    "Note: the allow list is managed by the security team",
]
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "tenant_config"
SHAPED = {
    "open brace never closed": "AllowedDomains : {Domain=a.com, ",
    "open brace, a line per entry": "AllowedDomains : {\n" + "Domain=a.com,\n" * 4000,
    "free text wrapped forever": "Identity : x\nDescription : y\n" + "word\n" * 9000,
    "wrapped line forever": "AllowFederatedUsers : True\n    x",
    "dash lines": "AllowFederatedUsers AllowTeamsConsumer\n------------------- ---------\n",
    "colon lines": "AllowFederatedUsers : True\n",
    "json keys": '{"AllowFederatedUsers": true, ',
    "deep json": "[",
    "slack links": "Domain=<http://a.com|a.com>, ",
    "teams html": "<p>AllowFederatedUsers&nbsp;: True</p>",
}


def rate(func: Callable[[str], object], messages: list[str], seconds: float) -> float:
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for message in messages:
            func(message)
        done += len(messages)
    return done / (time.perf_counter() - start)


def worst_time(func: Callable[[str], object], paste: str) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        func(paste)
        best = min(best, time.perf_counter() - start)
    return best


def parse_and_judge(text: str) -> object:
    config = parse_tenant_config(text)
    if isinstance(config, TenantConfig):
        return judge_tenant_config(config, partner="fabrikam.com", contact=None)
    return config


def baseline_scan(text: str) -> object:
    return [line.lower() for line in text.split("\n")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    args = parser.parse_args()
    ok = True

    print("(a) looks_like_tenant_config() on ordinary chat")
    chat = list(itertools.islice(itertools.cycle(CHAT), 10_000))
    fedbot = rate(looks_like_tenant_config, chat, args.seconds)
    base = rate(lambda m: "allowfederatedusers" in m.lower(), chat, args.seconds)
    print(f"    looks_like:        {fedbot:>12,.0f} msg/s")
    print(
        f"    baseline lower+in: {base:>12,.0f} msg/s   looks_like = {fedbot / base:.2f} x baseline"
    )

    print(f"(b) {PASTE_BYTES // 1024} KB pastes through parse + judge (best of 5 per paste)")
    pastes = {f"real {p.name}": paste_of(p.read_text() + "\n") for p in sorted(FIXTURES.iterdir())}
    pastes.update({name: paste_of(unit) for name, unit in SHAPED.items()})
    pastes.update({f"triage: {name}": paste_of(unit) for name, unit in ADVERSARIAL_UNITS.items()})
    worst_name, worst, worst_base = "", 0.0, 1.0
    for name, paste in pastes.items():
        seconds, floor = worst_time(parse_and_judge, paste), worst_time(baseline_scan, paste)
        print(f"    {name:<40} {seconds * 1000:7.2f} ms   baseline {floor * 1000:6.2f} ms")
        if seconds > worst:
            worst_name, worst, worst_base = name, seconds, floor
    passed = worst < 0.050
    ok &= passed
    verdict = "PASS" if passed else "FAIL"
    print(f"    worst: {worst_name}: {worst * 1000:.2f} ms   target < 50 ms  {verdict}")
    ratio = worst / worst_base
    print(f"    baseline on that paste: {worst_base * 1000:.2f} ms   = {ratio:.1f} x baseline")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
