"""``fedbot check``: the live federation DNS check in a terminal, for one or two domains or a list.

Exit codes: 0 all fine, 1 a problem found, 2 invalid input, 3 DNS failed. For ``--file`` the worst
line decides: problem (1), then DNS failure (3), then invalid lines (2)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import sys
import textwrap
from pathlib import Path
from typing import Any, TextIO

from bot.cli import tenant_config as tenant_cli
from bot.config import Settings
from federation.batch import LineOutcome, Summary, check_list, read_list, summarise
from federation.checker import FederationChecker
from federation.model import CheckReport, CheckResult, Finding, InvalidDomain
from federation.serialize import invalid_dict, pair_dict, report_dict, result_dict
from federation.tenant_config import TenantConfig
from federation.texts import Texts, load_texts, texts_of
from knowledge.loader import KnowledgeError, load_knowledge

EXIT_CODES = {"ok": 0, "problem": 1, "invalid": 2, "dns_error": 3}
SEVERITY_MARKS = {"ok": "ok", "info": "info", "warning": "WARN", "error": "FAIL"}
WIDTH = 100


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check a domain's federation DNS records (or two domains, or a list)",
        description="Check the federation SRV record _sipfederationtls._tcp.<domain> and its "
        "companions. Give a domain, an e-mail or SIP address or a URL; give two to judge how "
        "the two organisations fit together. Exit: 0 fine, 1 problem, 2 invalid input, 3 DNS "
        "failed.",
    )
    parser.add_argument("inputs", nargs="*", metavar="DOMAIN_OR_ADDRESS", help="one or two")
    parser.add_argument("--file", metavar="LIST", help="check every line of LIST ('-': stdin)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON")
    output.add_argument("--csv", action="store_true", help="with --file: print CSV")
    parser.add_argument(
        "--dns-server",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="DNS server to ask (repeatable; default FEDBOT_DNS_SERVERS, else the system's)",
    )
    parser.add_argument(
        "--timeout", type=float, metavar="S", help="deadline per check (default FEDBOT_DNS_TIMEOUT)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=50, metavar="N", help="with --file: checks in flight"
    )
    tenant_cli.add_arguments(parser)
    parser.set_defaults(run=run)


def _fail(message: str, code: int = 2) -> int:
    print(f"fedbot check: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    config: TenantConfig | None = None
    if args.contact is not None and args.tenant_config is None:
        return _fail("--contact needs --tenant-config")
    if args.tenant_config is not None:
        if args.tenant_config == "-" and args.file == "-":
            return _fail("--file and --tenant-config cannot both read standard input")
        read = tenant_cli.read_config(args.tenant_config)
        if isinstance(read, str):
            return _fail(read)
        config = read
        if args.file is None and not args.inputs:
            return _print_judged(tenant_cli.judge(config, args, None), args.json)
    if args.file is None and not 1 <= len(args.inputs) <= 2:
        return _fail("give one or two domains or addresses, or --file LIST")
    if args.file is not None and args.inputs:
        return _fail("give either domains or --file, not both")
    if args.csv and args.file is None:
        return _fail("--csv needs --file")
    if args.concurrency < 1:
        return _fail("--concurrency must be at least 1")
    if args.timeout is not None and not args.timeout > 0:
        return _fail("--timeout must be a positive number of seconds")
    try:
        settings = Settings.from_env()
        checker = FederationChecker(
            args.dns_server or settings.dns_servers,
            args.timeout if args.timeout is not None else settings.dns_timeout,
            # the organisation's wording (FEDBOT_KNOWLEDGE) for findings and cloud names
            texts=texts_of(load_knowledge(settings.knowledge_path)),
        )
    except (ValueError, KnowledgeError) as exc:
        return _fail(str(exc))
    if not checker.servers:
        return _fail(
            "no DNS server configured: pass --dns-server HOST[:PORT] or set FEDBOT_DNS_SERVERS",
            EXIT_CODES["dns_error"],
        )
    if args.file is not None:
        return _run_file(args, checker, config)
    outcome = asyncio.run(checker.check_inputs(*args.inputs))
    if isinstance(outcome, list):
        return _print_invalid(outcome, args.json)
    if config is None:
        print(
            json.dumps(report_dict(outcome), indent=2)
            if args.json
            else format_report(outcome, checker.texts)
        )
        return EXIT_CODES[outcome.status]
    # The configuration is the asker's tenant; the partner is the (second) domain checked.
    judged = tenant_cli.judge(config, args, outcome.results[-1].domain)
    if args.json:
        body = {**report_dict(outcome), "tenant_config": tenant_cli.judged_dict(judged)}
        print(json.dumps(body, indent=2))
    else:
        print(format_report(outcome, checker.texts) + "\n\n" + format_judged(judged))
    return tenant_cli.exit_code(EXIT_CODES[outcome.status], judged, EXIT_CODES["problem"])


def _print_judged(judged: tenant_cli.Judged, as_json: bool) -> int:
    print(
        json.dumps(tenant_cli.judged_dict(judged), indent=2) if as_json else format_judged(judged)
    )
    return EXIT_CODES[judged.status]


def _print_invalid(invalid: list[InvalidDomain], as_json: bool) -> int:
    if as_json:
        body = {"results": [], "pair": None, "invalid": [invalid_dict(i) for i in invalid]}
        print(json.dumps(body, indent=2))
    for item in invalid:
        print(f"fedbot check: {item.input!r}: {item.reason}", file=sys.stderr)
    return EXIT_CODES["invalid"]


# -- readable report ------------------------------------------------------------------------------


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(
        text,
        WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_on_hyphens=False,  # keep cmdlet names (Set-CsTenant...) whole
    )


def format_finding(finding: Finding, indent: str = "  ") -> str:
    mark = SEVERITY_MARKS.get(finding.severity, finding.severity)
    return _wrap(f"[{mark}] {finding.code}: {finding.message}", indent)


def format_result(result: CheckResult, texts: Texts | None = None) -> str:
    """One domain's result as text; cloud names in ``texts`` (the shipped wording by default)."""
    lines = [f"{result.domain} — {result.status.upper()}"]
    if result.status != "dns_error":
        lines[0] += " — " + (texts or load_texts()).cloud_label(result.cloud)
    if result.input != result.domain:
        lines[0] += f"  (from {result.input!r})"
    lines += [format_finding(f) for f in result.findings]
    if result.records:
        lines.append("  records:")
        lines += [
            f"    {r.name}  {r.ttl if r.ttl is not None else ''}  {r.rtype}  {r.value}"
            for r in result.records
        ]
    return "\n".join(lines)


def format_judged(judged: tenant_cli.Judged) -> str:
    """The tenant configuration's findings, in the report's style."""
    return "\n".join([tenant_cli.heading(judged), *map(format_finding, judged.findings)])


def format_report(report: CheckReport, texts: Texts | None = None) -> str:
    parts = [format_result(r, texts) for r in report.results]
    if report.pair is not None:
        pair = report.pair
        lines = [f"pair: {pair.relation} — {pair.status.upper()}"]
        if pair.at_fault:
            side = " and ".join(pair.at_fault)
            lines[0] += (
                f" — {'no DNS answer for' if pair.status == 'dns_error' else 'to fix:'} {side}"
            )
        lines += [format_finding(f) for f in pair.findings]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


# -- --file ---------------------------------------------------------------------------------------


def _read_list_file(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    return Path(name).read_text(encoding="utf-8", errors="replace")


def _run_file(
    args: argparse.Namespace, checker: FederationChecker, config: TenantConfig | None = None
) -> int:
    try:
        entries = read_list(_read_list_file(args.file))
    except OSError as exc:
        return _fail(f"cannot read {args.file}: {exc.strerror or exc}")
    if not entries:
        return _fail(f"{args.file}: no domains in it (blank lines and # comments are skipped)")
    outcomes = asyncio.run(_check_with_progress(checker, entries, args.concurrency))
    summary = summarise(outcomes)
    tenant = None
    if config is not None:  # each line's domain is a partner to judge the configuration against
        tenant = {
            o.line: tenant_cli.judge(config, args, o.result.domain)
            for o in outcomes
            if not isinstance(o.result, InvalidDomain)
        }
    if checker.client.dead:
        servers = ", ".join(str(s) for s in checker.servers)
        _fail(
            f"the DNS server ({servers}) does not answer at all; later domains were not waited "
            "for. Check the DNS settings or give a working server with --dns-server.",
            EXIT_CODES["dns_error"],
        )
    if args.json:
        print(json.dumps(file_json(outcomes, summary, tenant), indent=2))
    elif args.csv:
        sys.stdout.write(file_csv(outcomes, tenant))
    else:
        print(format_summary(outcomes, summary, tenant))
    code = EXIT_CODES[summary.exit_status]
    if tenant and any(j.status == "problem" for j in tenant.values()):
        return EXIT_CODES["problem"]
    return code


async def _check_with_progress(
    checker: FederationChecker, entries: list[Any], concurrency: int
) -> list[LineOutcome]:
    from tqdm import tqdm

    stderr: TextIO = sys.stderr
    with tqdm(
        total=len(entries), unit="domain", file=stderr, disable=not stderr.isatty(), leave=False
    ) as bar:
        return await check_list(
            checker, entries, concurrency=concurrency, progress=lambda: bar.update(1)
        )


TenantByLine = dict[int, tenant_cli.Judged]


def file_json(
    outcomes: list[LineOutcome], summary: Summary, tenant: TenantByLine | None = None
) -> dict[str, Any]:
    results, invalid = [], []
    for o in outcomes:
        if isinstance(o.result, InvalidDomain):
            invalid.append({"line": o.line, **invalid_dict(o.result)})
        else:
            results.append({"line": o.line, **result_dict(o.result)})
            if tenant is not None and o.line in tenant:
                results[-1]["tenant_config"] = tenant_cli.judged_dict(tenant[o.line])
    return {
        "results": results,
        "pair": pair_dict(None),
        "invalid": invalid,
        "summary": {
            "total": summary.total,
            "status": summary.by_status,
            "findings": summary.by_code,
        },
    }


CSV_COLUMNS = ("line", "input", "domain", "status", "cloud", "findings", "federation_srv", "detail")


def file_csv(outcomes: list[LineOutcome], tenant: TenantByLine | None = None) -> str:
    """One row per line; with a tenant configuration, a last column of its finding codes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS if tenant is None else (*CSV_COLUMNS, "tenant_config"))
    for o in outcomes:
        extra = [] if tenant is None else [_tenant_codes(tenant.get(o.line))]
        if isinstance(o.result, InvalidDomain):
            writer.writerow([o.line, o.input, "", "invalid", "", "", "", o.result.reason, *extra])
            continue
        r = o.result
        srv = " | ".join(x.value for x in r.records if x.rtype == "SRV" and "_sipfed" in x.name)
        serious = [f.message for f in r.findings if f.severity in ("error", "warning")]
        codes = ";".join(f.code for f in r.findings)
        writer.writerow(
            [o.line, o.input, r.domain, r.status, r.cloud, codes, srv, " ".join(serious), *extra]
        )
    return out.getvalue()


def _tenant_codes(judged: tenant_cli.Judged | None) -> str:
    if judged is None:
        return ""
    return ";".join(f.code for f in judged.findings if f.severity in ("error", "warning"))


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def format_summary(
    outcomes: list[LineOutcome], summary: Summary, tenant: TenantByLine | None = None
) -> str:
    counts = ", ".join(f"{n} {status}" for status, n in summary.by_status.items())
    lines = [f"Checked {summary.total} lines: {counts}", ""]
    lines += _table([("status", "count"), *((s, str(n)) for s, n in summary.by_status.items())])
    lines.append("")
    lines += _table([("finding", "count"), *((c, str(n)) for c, n in summary.by_code.items())])
    bad = [o for o in outcomes if o.status != "ok"]
    if bad:
        lines += ["", "Not ok:"]
        rows: list[tuple[str, ...]] = [("line", "input", "status", "cloud", "findings")]
        for o in bad:
            if isinstance(o.result, InvalidDomain):
                rows.append((str(o.line), o.input[:60], "invalid", "", o.result.reason))
            else:
                codes = ", ".join(
                    f.code for f in o.result.findings if f.severity in ("error", "warning")
                )
                rows.append((str(o.line), o.input[:60], o.status, o.result.cloud, codes))
        lines += _table(rows)
    if tenant is not None:
        lines += ["", _tenant_summary(outcomes, tenant)]
    return "\n".join(lines)


def _tenant_summary(outcomes: list[LineOutcome], tenant: TenantByLine) -> str:
    """Which lines' domains the tenant configuration blocks (or keeps from chatting)."""
    source = next(iter(tenant.values())).source if tenant else ""
    blocked = [(o, tenant[o.line]) for o in outcomes if o.line in tenant]
    blocked = [(o, j) for o, j in blocked if j.status == "problem"]
    if not blocked:
        return f"Tenant configuration ({source}): nothing in it blocks these domains."
    rows: list[tuple[str, ...]] = [("line", "input", "tenant configuration")]
    rows += [(str(o.line), o.input[:60], _tenant_codes(j).replace(";", ", ")) for o, j in blocked]
    return "\n".join(
        [f"Tenant configuration ({source}): {len(blocked)} lines blocked:", *_table(rows)]
    )
