"""Callback URL checks: http(s) only, and only globally routable addresses by default.

A callback host is resolved once; every address it resolves to must be global unicast and
outside every IANA special-purpose range (an explicit list, not `ipaddress.is_global` alone,
which is True for the deprecated site-local `fec0::/10` on Python 3.11), IPv4 forms embedded in
IPv6 addresses unwrapped first, and the delivery then connects to the
address that was checked (`pin_callback_url`), so DNS cannot answer differently between the
check and the connection (DNS rebinding). `SKILLPORT_WEBHOOKS_ALLOW_PRIVATE=true` lifts the
address check (local development and tests), never the pinning.
"""

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.utils.module_loading import import_string

from events.conf import events_conf

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# The IANA IPv4 and IPv6 special-purpose address registries (RFC 6890 and successors), plus
# multicast, class E and deprecated space: none of it may receive webhooks, whatever
# `is_global` says of it on this Python.
IPV4_SPECIAL = tuple(
    ipaddress.IPv4Network(network)
    for network in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # shared address space (CGNAT)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, cloud metadata
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved (class E), broadcast 255.255.255.255 included
    )
)
IPV6_SPECIAL = tuple(
    ipaddress.IPv6Network(network)
    for network in (
        "::/96",  # unspecified, loopback and the deprecated IPv4-compatible `::a.b.c.d`
        "::ffff:0:0/96",  # IPv4-mapped (unwrapped before this list is consulted)
        "64:ff9b::/96",  # NAT64 well-known prefix (unwrapped before this list is consulted)
        "64:ff9b:1::/48",  # NAT64 local use: only ever the operator's own networks
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments: Teredo, ORCHID, benchmarking, AMT, ...
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4 (unwrapped before this list is consulted)
        "3fff::/20",  # documentation
        "5f00::/16",  # segment routing (SRv6) SIDs
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated): `is_global` is True for it on Python 3.11
        "ff00::/8",  # multicast
    )
)
# The only IPv6 space IANA allocates for global unicast (RFC 4291 section 2.4).
IPV6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: last 32 bits are IPv4
SIXTOFOUR = ipaddress.IPv6Network("2002::/16")  # RFC 3056: bits 16-47 are IPv4


class UnsafeCallbackUrl(ValueError):
    pass


@dataclass(frozen=True)
class CallbackTarget:
    """Where a delivery goes: the URL's host (Host header, TLS name) and the checked address."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, through the system resolver (getaddrinfo)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def _resolver() -> Callable[[str, int], list[str]]:
    # A seam: SKILLPORT_WEBHOOKS["RESOLVER"] (a callable or its dotted path) replaces DNS.
    resolver = events_conf.RESOLVER
    return import_string(resolver) if isinstance(resolver, str) else resolver


def _public_ipv4(ip: ipaddress.IPv4Address) -> bool:
    return ip.is_global and not any(ip in network for network in IPV4_SPECIAL)


def _public_ipv6(ip: ipaddress.IPv6Address) -> bool:
    return (
        ip.is_global
        and ip in IPV6_GLOBAL_UNICAST
        and not any(ip in network for network in IPV6_SPECIAL)
    )


def is_public_address(address: str) -> bool:
    """True when `address` may receive webhooks: a global unicast address outside every
    special-purpose range, and so is the IPv4 address an IPv6 one carries (mapped, NAT64,
    6to4). Everything not positively allowed is refused."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return _public_ipv4(ip)
    if ip.ipv4_mapped is not None:  # how dual-stack sockets spell an IPv4 address
        return _public_ipv4(ip.ipv4_mapped)
    if ip in NAT64_WELL_KNOWN:  # a translator forwards to the embedded IPv4 address
        return _public_ipv4(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip in SIXTOFOUR:  # a relay forwards to the embedded IPv4 address
        return ip.sixtofour is not None and _public_ipv4(ip.sixtofour)
    return _public_ipv6(ip)


def _parse(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeCallbackUrl("The callback URL must use http or https.")
    if not parts.hostname:
        raise UnsafeCallbackUrl("The callback URL must name a host.")
    if parts.username or parts.password:
        raise UnsafeCallbackUrl("The callback URL must not carry credentials.")
    try:
        port = parts.port
    except ValueError:
        raise UnsafeCallbackUrl("The callback URL has an invalid port.") from None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    if not 1 <= port <= 65535:
        raise UnsafeCallbackUrl("The callback URL has an invalid port.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return parts.scheme, parts.hostname, port, path


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _resolve_and_check(host: str, port: int, check: bool) -> list[str]:
    try:
        addresses = [host] if _is_literal(host) else list(_resolver()(host, port))
    except (OSError, UnicodeError):
        raise UnsafeCallbackUrl(f"The host '{host}' cannot be resolved.") from None
    if not addresses:
        raise UnsafeCallbackUrl(f"The host '{host}' cannot be resolved.")
    if check and not all(is_public_address(address) for address in addresses):
        raise UnsafeCallbackUrl(
            f"The host '{host}' resolves to a loopback, private, link-local or reserved "
            "address, which may not receive webhooks."
        )
    return addresses


def check_callback_url(url: str) -> None:
    """Raise UnsafeCallbackUrl with a readable reason when `url` may not receive webhooks."""
    _scheme, host, port, _path = _parse(url)
    if not events_conf.ALLOW_PRIVATE:
        _resolve_and_check(host, port, check=True)


def pin_callback_url(url: str) -> CallbackTarget:
    """Resolve the callback host once, check every address, and name the one to connect to."""
    scheme, host, port, path = _parse(url)
    addresses = _resolve_and_check(host, port, check=not events_conf.ALLOW_PRIVATE)
    return CallbackTarget(scheme=scheme, host=host, port=port, path=path, address=addresses[0])
