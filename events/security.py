"""Callback URL checks: http(s) only, and no loopback/private/link-local targets by default."""

import ipaddress
import socket
from urllib.parse import urlsplit

from events.conf import allow_private_callbacks


class UnsafeCallbackUrl(ValueError):
    pass


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_callback_url(url: str) -> None:
    """Raise UnsafeCallbackUrl with a readable reason when `url` may not receive webhooks."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeCallbackUrl("The callback URL must use http or https.")
    if not parts.hostname:
        raise UnsafeCallbackUrl("The callback URL must name a host.")
    if parts.username or parts.password:
        raise UnsafeCallbackUrl("The callback URL must not carry credentials.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeCallbackUrl("The callback URL has an invalid port.") from None
    if allow_private_callbacks():
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeCallbackUrl(f"The host '{parts.hostname}' cannot be resolved.") from None
    for info in infos:
        if not _is_public(info[4][0]):
            raise UnsafeCallbackUrl(
                f"The host '{parts.hostname}' resolves to a loopback, private, link-local or "
                "reserved address, which may not receive webhooks."
            )
