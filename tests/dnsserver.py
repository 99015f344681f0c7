"""A real DNS server on 127.0.0.1 for tests and benchmarks (UDP and TCP on one ephemeral port).

It serves BIND-style zone text (parsed by dnslib) like a recursive resolver would answer: CNAMEs
are followed inside the served data, NXDOMAIN / NODATA carry the zone's SOA, and every query is
recorded. Behaviour can be changed for the whole server or per name suffix:

- ``delay_ms``: answer every query after this many milliseconds (timers, not threads);
- mode ``"timeout"``: never answer (UDP and TCP);
- mode ``"servfail"``: answer SERVFAIL;
- mode ``"truncate"``: UDP answers carry only the TC bit, so clients must retry over TCP;
- mode ``"refused"``: answer REFUSED (a resolver that serves only its own network);
- mode ``"dnssec_bogus"``: SERVFAIL with the Extended DNS Error "DNSSEC Bogus" (RFC 8914).

Wildcard owners (``*.zone``) answer for names that do not exist below their parent (RFC 4592,
simplified to the closest existing ancestor).

Usage::

    from tests.dnsserver import start_dns_server
    server = start_dns_server()                      # the fixture zones in tests/zones/
    server = start_dns_server(zone_text="...", delay_ms=50, modes={"slow.example": "timeout"})
    checker = FederationChecker([server.address])    # "127.0.0.1:<port>"
    server.queries                                   # [Query(name, qtype, transport), ...]
    server.stop()

In pytest use the ``dns_server`` fixture (fixture zones, fresh per test) or ``make_dns_server``
(a factory taking the same arguments as :func:`start_dns_server`); see tests/conftest.py. The
domains in tests/zones/ and what each shows are listed in tests/zones/README.md.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from dnslib import EDNS0, QTYPE, RCODE, RR, DNSRecord, EDNSOption

ZONES_DIR = Path(__file__).parent / "zones"
Mode = Literal["normal", "timeout", "servfail", "truncate", "refused", "dnssec_bogus"]
# Suffixes with special behaviour in the fixture zones (see tests/zones/README.md).
FIXTURE_MODES: dict[str, Mode] = {
    "servfail.example": "servfail",
    "timeout.example": "timeout",
    "truncated.example": "truncate",
    "refused.example": "refused",
    "bogus.example": "dnssec_bogus",
}
EDE_DNSSEC_BOGUS = 6


@dataclass(frozen=True)
class Query:
    name: str  # lower case, no trailing dot
    qtype: str
    transport: Literal["udp", "tcp"]


def _key(name: object) -> str:
    return str(name).lower().rstrip(".")


class ZoneData:
    """Records by owner name, the zone apexes (names with an SOA) and every existing name."""

    def __init__(self, records: Iterable[RR]) -> None:
        self.records: dict[str, list[RR]] = {}
        for rr in records:
            self.records.setdefault(_key(rr.rname), []).append(rr)
        self.apexes = {
            n for n, rrs in self.records.items() if any(r.rtype == QTYPE.SOA for r in rrs)
        }
        self.names = set(self.records)
        for name in list(self.records):  # empty non-terminals exist too
            labels = name.split(".")
            for i in range(1, len(labels)):
                parent = ".".join(labels[i:])
                if self.zone_of(parent) is not None:
                    self.names.add(parent)

    def zone_of(self, name: str) -> str | None:
        labels = name.split(".")
        for i in range(len(labels)):
            candidate = ".".join(labels[i:])
            if candidate in self.apexes:
                return candidate
        return None

    def soa(self, name: str) -> RR | None:
        zone = self.zone_of(name)
        if zone is None:
            return None
        return next(r for r in self.records[zone] if r.rtype == QTYPE.SOA)

    def resolve(self, qname: str, qtype: int) -> tuple[int, list[RR], list[RR]]:
        """(rcode, answer, authority) as a recursive resolver would return them."""
        answer: list[RR] = []
        name = qname
        for _ in range(8):
            rrs = self.records.get(name, [])
            if name not in self.names:
                rrs = self.wildcard(name)
            if name not in self.names and not rrs:
                if answer and self.zone_of(name) is None:
                    return RCODE.NOERROR, answer, []  # chain leaves the served data
                soa = self.soa(name)
                return RCODE.NXDOMAIN, answer, [soa] if soa else []
            matching = [r for r in rrs if r.rtype == qtype]
            if matching:
                return RCODE.NOERROR, answer + matching, []
            cname = [r for r in rrs if r.rtype == QTYPE.CNAME]
            if cname and qtype != QTYPE.CNAME:
                answer.append(cname[0])
                name = _key(cname[0].rdata.label)
                continue
            soa = self.soa(name)
            return RCODE.NOERROR, answer, [soa] if soa else []
        return RCODE.SERVFAIL, [], []

    def wildcard(self, name: str) -> list[RR]:
        """Records a wildcard at the closest existing ancestor synthesises for ``name``."""
        labels = name.split(".")
        for i in range(1, len(labels)):
            parent = ".".join(labels[i:])
            if parent in self.names:
                found = self.records.get("*." + parent, [])
                return [RR(name, r.rtype, r.rclass, r.ttl, r.rdata) for r in found]
        return []


def load_zones(zones_dir: Path | None = None, zone_text: str = "") -> ZoneData:
    texts = []
    if zones_dir is not None or not zone_text:
        texts = [p.read_text() for p in sorted((zones_dir or ZONES_DIR).glob("*.zone"))]
    if zone_text:
        texts.append(zone_text)
    records: list[RR] = []
    for text in texts:
        records.extend(RR.fromZone(text))
    return ZoneData(records)


@dataclass
class DnsTestServer:
    """A running server. Change ``delay_ms``, ``mode`` or ``modes`` at any time."""

    zones: ZoneData
    delay_ms: float = 0.0
    mode: Mode = "normal"
    modes: dict[str, Mode] = field(default_factory=dict)
    queries: list[Query] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _stopped: asyncio.Event | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def clear(self) -> None:
        self.queries.clear()

    def names(self, qtype: str | None = None) -> list[str]:
        """Names asked so far (optionally of one type), in order."""
        return [q.name for q in self.queries if qtype is None or q.qtype == qtype]

    def mode_for(self, name: str) -> Mode:
        for suffix, mode in self.modes.items():
            if name == suffix or name.endswith("." + suffix):
                return mode
        return self.mode

    def respond(self, data: bytes, transport: Literal["udp", "tcp"]) -> bytes | None:
        """The reply to one wire-format query, or None to stay silent."""
        try:
            request = DNSRecord.parse(data)
        except Exception:  # garbage on the wire: ignore it like a real server
            return None
        q = request.q
        name = _key(q.qname)
        self.queries.append(Query(name, QTYPE.get(q.qtype, str(q.qtype)), transport))
        mode = self.mode_for(name)
        if mode == "timeout":
            return None
        reply = request.reply()
        if mode in ("servfail", "refused", "dnssec_bogus"):
            reply.header.rcode = RCODE.REFUSED if mode == "refused" else RCODE.SERVFAIL
            if mode == "dnssec_bogus":
                ede = struct.pack("!H", EDE_DNSSEC_BOGUS) + b"signature expired"
                reply.add_ar(EDNS0(opts=[EDNSOption(15, ede)]))
            return reply.pack()
        if mode == "truncate" and transport == "udp":
            reply.header.tc = 1
            return reply.pack()
        rcode, answer, authority = self.zones.resolve(name, q.qtype)
        reply.header.rcode = rcode
        for rr in answer:
            reply.add_answer(rr)
        for rr in authority:
            reply.add_auth(rr)
        return reply.pack()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> DnsTestServer:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(5):
            raise RuntimeError("DNS test server did not start")
        return self

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        loop, stopped, self._loop = self._loop, self._stopped, None
        if loop is not None and stopped is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stopped.set)
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> DnsTestServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, ready: threading.Event) -> None:
        asyncio.run(self._serve(ready))

    async def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        udp_sock, tcp_sock = _bind_pair(self.host)
        self.port = udp_sock.getsockname()[1]
        server = self
        loop = self._loop

        class Udp(asyncio.DatagramProtocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                self.transport = transport

            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                reply = server.respond(data, "udp")
                if reply is not None:
                    send = self.transport.sendto  # type: ignore[attr-defined]
                    loop.call_later(server.delay_ms / 1000, send, reply, addr)

        async def handle_tcp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    length = struct.unpack("!H", await reader.readexactly(2))[0]
                    reply = server.respond(await reader.readexactly(length), "tcp")
                    if reply is None:
                        continue
                    await asyncio.sleep(server.delay_ms / 1000)
                    writer.write(struct.pack("!H", len(reply)) + reply)
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        udp_transport, _ = await loop.create_datagram_endpoint(Udp, sock=udp_sock)
        tcp_server = await asyncio.start_server(handle_tcp, sock=tcp_sock)
        ready.set()
        await self._stopped.wait()
        udp_transport.close()
        tcp_server.close()


def _bind_pair(host: str) -> tuple[socket.socket, socket.socket]:
    """A UDP and a TCP socket bound to the same ephemeral port."""
    for _ in range(50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((host, 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind((host, udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(128)
        tcp.setblocking(False)
        udp.setblocking(False)
        return udp, tcp
    raise RuntimeError("no free port for both UDP and TCP")


def start_dns_server(
    zones_dir: Path | str | None = None,
    *,
    zone_text: str = "",
    delay_ms: float = 0.0,
    mode: Mode = "normal",
    modes: Mapping[str, Mode] | None = None,
) -> DnsTestServer:
    """Start a server on 127.0.0.1 and return it running. Zones come from ``zone_text`` if given,
    else from every ``*.zone`` file in ``zones_dir`` (default: tests/zones/, where ``modes``
    defaults to :data:`FIXTURE_MODES`)."""
    zones = load_zones(Path(zones_dir) if zones_dir else None, zone_text)
    if modes is None:
        modes = FIXTURE_MODES if not zone_text and zones_dir is None else {}
    server = DnsTestServer(zones, delay_ms=delay_ms, mode=mode, modes=dict(modes))
    return server.start()
