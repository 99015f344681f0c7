"""Demo mode: a loopback DNS server answering from the sample zones in ``bot/demo_zones/``, so
``fedcheck`` shows real findings offline (``fedbot serve --demo``, ``fedbot chat --demo``).

Never on by default. Answers are built with dnspython: the records of the name asked (following a
CNAME inside the data), NODATA when the name exists without that type, NXDOMAIN with the enclosing
zone's SOA otherwise. UDP only (the answers are small)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import cast

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset

log = logging.getLogger(__name__)

ZONES_DIR = Path(__file__).parent / "demo_zones"
DOMAINS = ("contoso.example", "fabrikam.example", "tailspin.example", "northwind.example")
MAX_CNAME_HOPS = 8


class Zones:
    """Records by owner name and type, from zone-file lines with absolute names
    (``name IN TYPE rdata``; ``;`` comments and ``$TTL`` lines skipped)."""

    def __init__(self, text: str, ttl: int = 3600) -> None:
        self.nodes: dict[dns.name.Name, dict[int, dns.rdataset.Rdataset]] = {}
        for raw in text.splitlines():
            line = raw.split(";", 1)[0].strip()
            if not line or line.startswith("$"):
                continue
            owner, klass, rdtype_text, rdata_text = line.split(None, 3)
            name = dns.name.from_text(owner)
            rdtype = dns.rdatatype.from_text(rdtype_text)
            rdata = dns.rdata.from_text(dns.rdataclass.from_text(klass), rdtype, rdata_text)
            node = self.nodes.setdefault(name, {})
            if rdtype not in node:
                node[rdtype] = dns.rdataset.Rdataset(rdata.rdclass, rdtype)
                node[rdtype].update_ttl(ttl)
            node[rdtype].add(rdata)

    def get(self, name: dns.name.Name, rdtype: int) -> dns.rdataset.Rdataset | None:
        return self.nodes.get(name, {}).get(rdtype)

    def exists(self, name: dns.name.Name) -> bool:
        return name in self.nodes or any(n.is_subdomain(name) for n in self.nodes)


def load_zones(directory: Path = ZONES_DIR) -> Zones:
    """Every ``*.zone`` file in ``directory``."""
    return Zones("\n".join(p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.zone"))))


def answer(zones: Zones, wire: bytes) -> bytes | None:
    """The response to one query in wire format (None for what is not a query)."""
    try:
        query = dns.message.from_wire(wire)
    except Exception:  # garbage on the port: drop it, as servers do
        return None
    response = dns.message.make_response(query)
    response.flags |= dns.flags.RA | dns.flags.AA
    if not query.question:
        response.set_rcode(dns.rcode.FORMERR)
        return response.to_wire()
    question = query.question[0]
    name, rdtype = question.name, question.rdtype
    for _ in range(MAX_CNAME_HOPS):
        if not zones.exists(name):
            break
        found = zones.get(name, rdtype)
        if found is not None:
            response.answer.append(_rrset(name, found))
            return response.to_wire()
        cname = zones.get(name, dns.rdatatype.CNAME)
        if cname is None or rdtype == dns.rdatatype.CNAME:
            _add_soa(zones, name, response)  # NODATA
            return response.to_wire()
        response.answer.append(_rrset(name, cname))
        name = cname[0].target
    else:
        return response.to_wire()
    if not response.answer:
        response.set_rcode(dns.rcode.NXDOMAIN)
    _add_soa(zones, name, response)
    return response.to_wire()


def _rrset(name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    return dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset))


def _add_soa(zones: Zones, name: dns.name.Name, response: dns.message.Message) -> None:
    """The enclosing zone's SOA in the authority section (negative answers)."""
    while name != dns.name.root:
        soa = zones.get(name, dns.rdatatype.SOA)
        if soa is not None:
            response.authority.append(_rrset(name, soa))
            return
        name = name.parent()


class DemoDnsServer(asyncio.DatagramProtocol):
    """``await DemoDnsServer.start()`` → listening on 127.0.0.1; ``.address`` is host:port."""

    def __init__(self, zones: Zones) -> None:
        self.zones = zones
        self.transport: asyncio.DatagramTransport | None = None
        self.address = ""

    @classmethod
    async def start(cls, port: int = 0) -> DemoDnsServer:
        loop = asyncio.get_running_loop()
        server = cls(load_zones())
        transport, _ = await loop.create_datagram_endpoint(
            lambda: server, local_addr=("127.0.0.1", port)
        )
        host, bound = transport.get_extra_info("sockname")[:2]
        server.address = f"{host}:{bound}"
        log.info(
            "demo mode: sample zones answered by %s (try: fedcheck %s)",
            server.address,
            ", ".join(DOMAINS),
        )
        return server

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = answer(self.zones, data)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)

    def stop(self) -> None:
        if self.transport is not None:
            self.transport.close()
