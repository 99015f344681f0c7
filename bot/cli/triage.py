"""``fedbot triage [TEXT]``: recognise a pasted error message (stdin when no TEXT).

Exit codes: 0 recognised (a known error, or a pasted tenant configuration with a blocking
setting), 1 not recognised, 2 the knowledge files (FEDBOT_KNOWLEDGE) are invalid.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from bot.cli import tenant_config
from dialogs.tenant_facts import with_pasted_config
from knowledge.loader import KnowledgeError, load_knowledge
from knowledge.model import Knowledge, Option
from knowledge.triage import MAX_TRIAGE_CHARS, Triage, triage

# Read a little more than triage examines, so the cut happens in one place (triage).
MAX_STDIN_BYTES = 4 * MAX_TRIAGE_CHARS
EXIT_RECOGNISED, EXIT_NOT_RECOGNISED, EXIT_BAD_KNOWLEDGE = 0, 1, 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "triage",
        help="recognise a pasted error message",
        description="Recognise a pasted error message (Teams, Skype for Business / Lync, SIP "
        "logs, ms-diagnostics, DNS tool output): the known error, the symptom, the likely "
        "causes, and the addresses and domains to check. Reads standard input when no TEXT is "
        "given.",
        epilog="Exit status: 0 recognised, 1 not recognised, 2 invalid knowledge files "
        "(FEDBOT_KNOWLEDGE).",
    )
    parser.add_argument("text", nargs="*", metavar="TEXT", help="the error text (else stdin)")
    parser.add_argument(
        "--json",
        action="store_true",
        help='print {"recognized", "signature", "symptom", "likely_causes", "contact_type", '
        '"contact_type_guessed", "addresses", "domains", "peer_domains", "own_domains", '
        '"diagnostic", "scope"}',
    )
    parser.add_argument(
        "--knowledge", metavar="PATH", help="organisation override (default FEDBOT_KNOWLEDGE)"
    )
    parser.set_defaults(run=run)


def read_stdin(stream: TextIO) -> str:
    """At most :data:`MAX_STDIN_BYTES` of standard input, undecodable bytes replaced."""
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        return bytes(buffer.read(MAX_STDIN_BYTES)).decode("utf-8", errors="replace")
    return stream.read(MAX_STDIN_BYTES)


def run(args: argparse.Namespace) -> int:
    try:
        kb = load_knowledge(args.knowledge)
    except KnowledgeError as exc:
        print(f"fedbot: invalid knowledge: {exc}", file=sys.stderr)
        return EXIT_BAD_KNOWLEDGE
    if args.text:
        text = " ".join(args.text)
    else:
        if sys.stdin.isatty():
            print("Paste the error message, then press Ctrl-D.", file=sys.stderr)
        text = read_stdin(sys.stdin)
    found = with_pasted_config(kb, triage(text, kb), text)
    config = tenant_config.pasted(text)  # a pasted tenant configuration is judged, not matched
    # A configuration that shows a blocking setting is a federation paste fedbot answers (the bot
    # judges it in any conversation): recognised, like triage's configuration-line signatures.
    recognised = found.recognized or (config is not None and config.status == "problem")
    if args.json:
        body = found.to_json()
        body["recognized"] = recognised
        if config is not None:
            body["tenant_config"] = tenant_config.pasted_dict(config)
        print(json.dumps(body, ensure_ascii=False, indent=2))
    elif config is not None and not found.recognized:
        print(tenant_config.render_pasted(config))
    else:
        report = render(found, kb)
        print(report if config is None else f"{report}\n\n{tenant_config.render_pasted(config)}")
    return EXIT_RECOGNISED if recognised else EXIT_NOT_RECOGNISED


def _label(options: tuple[Option, ...], ident: str | None) -> str | None:
    return next((f"{o.label} ({o.id})" for o in options if o.id == ident), ident)


def render(found: Triage, kb: Knowledge) -> str:
    """The readable report: what was recognised and what to look at."""
    lines: list[str] = []
    if found.signature is None:
        lines.append("Not recognised as a known federation error.")
    else:
        sig = found.signature
        lines += [f"Recognised: {sig.title} [{sig.id}]", f"  {sig.meaning}"]
        if found.symptom:
            lines.append(f"Symptom:       {_label(kb.symptoms, found.symptom)}")
    if found.contact_type:
        guess = " (a guess from the domain)" if found.contact_type_guessed else ""
        lines.append(f"Contact type:  {_label(kb.contact_types, found.contact_type)}{guess}")
    if found.likely_causes:
        lines.append("Likely causes:")
        for number, cause_id in enumerate(found.likely_causes, 1):
            cause = kb.causes.get(cause_id)
            lines.append(f"  {number}. {cause.title if cause else cause_id} ({cause_id})")
    if found.addresses:
        lines.append(f"Addresses:     {', '.join(found.addresses)}")
    if found.diagnostic is not None and found.diagnostic.code is not None:
        lines.append(f"ms-diagnostics: {found.diagnostic.code}")
    if found.peer_domains:
        lines.append(f"Peer domains:  {', '.join(found.peer_domains)}")
    if found.own_domains:
        lines.append(f"Your side:     {', '.join(found.own_domains)}")
    check = check_command(found, kb)
    if check:
        lines.append(f"Check with:    {check}")
    return "\n".join(lines)


def check_command(found: Triage, kb: Knowledge) -> str | None:
    """The check to run: the peer's domain, with the home domain as the pair when it is known;
    never the reporter's own domain alone."""
    if not found.peer_domains:
        return None
    peer = found.peer_domains[0]
    home = next((d for d in kb.home_domains if d != peer), None)
    return f"fedbot check {peer} {home}" if home else f"fedbot check {peer}"
