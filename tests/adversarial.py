"""Pastes built to make a triage matcher backtrack or rescan: each unit repeated to 40 KB.

Shared by the timing test (tests/test_triage_properties.py) and bench/bench_triage.py, so both
measure the same worst cases."""

PASTE_BYTES = 40 * 1024

ADVERSARIAL_UNITS = {
    "repeated not-delivered prefix": "This message was not delivered to ",
    "unterminated ms-diagnostics": 'ms-diagnostics: 1; reason="',
    "address fragments": "a@",
    "federation words near SIP codes": "federated SIP/2.0 403 ",
    "SRV owner name without end": "_sipfederationtls._tcp.",
    "quoting and markup": "> `x` **federated** @a.b 504 server time-out sip/2.0 ",
    "non-ASCII labels": "é.é@",
    "every keyword": "federated delivered conversation talk different permission presence 403 "
    "404 504 ms-diagnostics tls srv route public shared expanding _sipfederationtls ",
    # Phrase gaps: every word of a phrase three times (each one a gap candidate for the next),
    # long phrase prefixes that never complete, gaps one word too wide, words too long to skip.
    "phrase words tripled": "delivered federated the the the address address address is is is "
    "outside outside outside your your your organization organization organization and and and "
    "is is is not not not ",
    "phrase prefix never completed": "this message was not delivered to a@b.c because the "
    "address is outside your federated ",
    "phrase gaps one too wide": "federated previous x y z hop x y z federated x y z peer x y z ",
    "gap words too long to skip": "cannot route " + "r" * 400 + " this type federated ",
    "rewritten forms": "can't won't isn't cant dont organisation authorised setup sign-in "
    "we're federated ",
    # ms-diagnostics headers as structure: many headers, long parameter chains, role labels.
    "ms-diagnostics parameter chains": 'ms-diagnostics: 1999;reason="federated";source=a.b;'
    'domain="c.d";x=y;',
    "headers with unknown codes": "ms-diagnostics-public: 1234; sipfed ",
    "role labels before names": "to: from: source= computer: -domain targetfqdn : edge1.a.b ",
    "type names and permissions": "Microsoft.Rtc.Management.X Presence.Read.All a.b.c.d.e.f ",
    "alternatives and plurals": "not allowed permitted authorized permission permissions to "
    "join this the my our your meetings ",
}


def paste_of(unit: str, size: int = PASTE_BYTES) -> str:
    """``unit`` repeated to exactly ``size`` characters."""
    return (unit * (size // len(unit) + 1))[:size]
