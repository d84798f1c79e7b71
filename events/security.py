"""Callback URL checks: http(s) only, and only globally routable addresses by default.

A callback host is resolved once; every address it resolves to must be globally routable
(IPv4 forms embedded in IPv6 addresses unwrapped first), and the delivery then connects to the
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
# NAT64 (RFC 6052): the well-known prefix carries a public IPv4 address in its last 32 bits;
# the local-use prefix (RFC 8215) only ever reaches the operator's own networks.
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated `::a.b.c.d`


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


def _routable(ip: IPAddress) -> bool:
    return ip.is_global and not (
        ip.is_multicast
        or ip.is_reserved
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_unspecified
    )


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses a packet to `ip` may end up at: 6to4, Teredo, IPv4-compatible."""
    found = []
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in IPV4_COMPATIBLE:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def is_public_address(address: str) -> bool:
    """True when `address` and every IPv4 address embedded in it are globally routable."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return _routable(ip)
    if ip.ipv4_mapped is not None:  # how dual-stack sockets spell an IPv4 address
        return _routable(ip.ipv4_mapped)
    if ip in NAT64_WELL_KNOWN:
        return _routable(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip in NAT64_LOCAL_USE:
        return False
    return _routable(ip) and all(_routable(inner) for inner in _embedded_ipv4(ip))


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
