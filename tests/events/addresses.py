"""Every IANA special-purpose IPv4 and IPv6 range (and the other non-unicast space), with sample
addresses, for the webhook SSRF tests: none of them may receive a webhook."""

import ipaddress

IPV4_SPECIAL = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "255.255.255.255/32",
]
IPV6_SPECIAL = [
    "::/128",
    "::1/128",
    "::/96",  # IPv4-compatible (deprecated)
    "::ffff:0:0/96",  # IPv4-mapped: every sample maps to a special IPv4 address
    "64:ff9b::/96",  # NAT64: every sample embeds a special IPv4 address
    "64:ff9b:1::/48",
    "100::/64",
    "2001::/23",
    "2001::/32",  # Teredo
    "2001:10::/28",
    "2001:20::/28",
    "2001:db8::/32",
    "2002::/16",  # 6to4: every sample embeds a special IPv4 address
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",  # site-local: `is_global` is True for it on Python 3.11
    "ff00::/8",
]


# Ranges that carry an IPv4 address: only those embedding a special one are refused, so their
# samples sit at the start (0.0.0.1 embedded) rather than the middle (128.0.0.0, public).
EMBEDDING = {"::ffff:0:0/96", "64:ff9b::/96", "2002::/16"}


def _inside(network: str) -> str:
    """An address inside `network`, in its middle where all of it is refused."""
    net = ipaddress.ip_network(network)
    step = 1 if network in EMBEDDING else net.num_addresses // 2
    return str(net.network_address + step)


def _edges(network: str) -> list[str]:
    net = ipaddress.ip_network(network)
    return [str(net.network_address), _inside(network), str(net.broadcast_address)]


def _ipv6_forms(ipv4: str) -> list[str]:
    """`ipv4` as an IPv6 address carries it: IPv4-mapped, NAT64, 6to4."""
    value = int(ipaddress.IPv4Address(ipv4))
    return [
        f"::ffff:{ipv4}",
        str(ipaddress.IPv6Address((0x64FF9B << 96) | value)),
        str(ipaddress.IPv6Address((0x2002 << 112) | (value << 80) | 1)),
    ]


# One address inside each range, then the same IPv4 ones as IPv6 spells them.
SPECIAL_SAMPLES = [
    *(_inside(network) for network in IPV4_SPECIAL + IPV6_SPECIAL),
    *(form for network in IPV4_SPECIAL for form in _ipv6_forms(_inside(network))),
]
# Both ends and the middle of each range, for the address check alone (cheap to run).
SPECIAL_EDGES = sorted(
    {
        *(edge for network in IPV4_SPECIAL + IPV6_SPECIAL for edge in _edges(network)),
        *SPECIAL_SAMPLES,
    }
)
# Just outside the ranges above: global unicast, accepted.
PUBLIC_NEIGHBOURS = [
    "1.0.0.1",
    "11.0.0.1",
    "100.128.0.1",
    "172.32.0.1",
    "198.20.0.1",
    "223.255.255.254",
    "2001:200::1",
    "2003::1",
    "2606:4700::1111",
    "3fff:1000::1",
    "::ffff:100.128.0.1",
    "64:ff9b::b00:1",  # NAT64 of 11.0.0.1
    "2002:b00:1::1",  # 6to4 of 11.0.0.1
]


def url_of(address: str, port: int | str = 8399) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}/"
