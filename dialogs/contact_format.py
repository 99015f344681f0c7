"""The article's "contacts in the correct format" check (KB 2566829), without DNS.

A Microsoft account on a non-consumer (custom, "EASI") domain must be added as
``local(domain)@msn.com``. The consumer domains come from knowledge (``consumer_domains``), the
special form's template from messages.yaml (``contact_format.special``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from federation.domains import extract_address, parse_domain
from federation.model import InvalidDomain
from federation.texts import reason_in
from knowledge.model import Knowledge

# Country variants of a consumer domain: hotmail.co.uk, live.com.au, outlook.fr, ...
_SPECIAL_FORM = re.compile(
    r"^\s*(?:sip:)?([^\s@()]{1,64}\([^\s@()]{1,255}\))@([^\s@()]{1,255})\s*$"
)


@dataclass(frozen=True)
class ContactFormat:
    """``status`` ``ok`` when the address is fine as typed; ``problem`` when the special form is
    needed (``special`` holds it filled in)."""

    address: str
    status: Literal["ok", "problem"]
    special: str | None


def parse_address(text: str, kb: Knowledge) -> tuple[str, str] | InvalidDomain:
    """``(local part, domain)`` of the contact's address in ``text``, or why there is none."""
    special = _SPECIAL_FORM.match(text)
    if special is not None:  # already local(domain)@msn.com
        domain = parse_domain(special.group(2))
        if isinstance(domain, str):
            return special.group(1).lower(), domain
    address = extract_address(text)
    if address is not None:
        local, _, domain = address.rpartition("@")
        return local.lower(), domain
    domain = parse_domain(text)
    reason = (
        kb.message("invalid.address")
        if isinstance(domain, str)
        else reason_in(kb.check_texts, domain)
    )
    return InvalidDomain(text[:200], reason)


def contact_format(local: str, domain: str, kb: Knowledge) -> ContactFormat:
    address = f"{local}@{domain}"
    if kb.is_consumer_domain(domain):  # includes an address already in the special form
        return ContactFormat(address, "ok", None)
    special = kb.message("contact_format.special", local=local, domain=domain)
    return ContactFormat(address, "problem", special)
