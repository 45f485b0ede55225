"""Which IP addresses outbound requests may reach.

The rule is an allowlist: an address must be globally routable (``is_global``) and outside every
special-use range below, unless an operator opened its network with ``allow_networks``. A denylist
of ``is_private`` / ``is_loopback`` is not enough on Python 3.11: ``::ffff:127.0.0.1`` is not
``is_loopback`` there, and ``64:ff9b::7f00:1`` (NAT64) and ``2002:7f00:1::`` (6to4) are
``is_global`` (research/reliability.md §C.1).

IPv6 forms that carry an IPv4 address are unwrapped: an IPv4-mapped or NAT64 (64:ff9b::/96)
address is judged by the IPv4 address it reaches. 6to4, Teredo, local-use NAT64 and the old
IPv4-compatible form are refused outright: a server has no business with them, and judging their
embedded address would trust a relay we do not control.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Special-use IPv4 ranges (RFC 6890 and later), named for the refusal message.
_DENIED_V4: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("0.0.0.0/8"), "unspecified"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("100.64.0.0/10"), "shared address space (CGNAT)"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("169.254.169.254/32"), "cloud metadata"),
    (_V4("169.254.0.0/16"), "link-local"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.0.0.0/24"), "IETF protocol assignments"),
    (_V4("192.0.2.0/24"), "documentation"),
    (_V4("192.88.99.0/24"), "6to4 relay"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("198.18.0.0/15"), "benchmarking"),
    (_V4("198.51.100.0/24"), "documentation"),
    (_V4("203.0.113.0/24"), "documentation"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("240.0.0.0/4"), "reserved"),
)

_DENIED_V6: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("::/96"), "IPv4-compatible (deprecated)"),
    (_V6("64:ff9b:1::/48"), "local-use NAT64"),
    (_V6("100::/64"), "discard-only"),
    (_V6("2001::/32"), "Teredo"),
    (_V6("2001:db8::/32"), "documentation"),
    (_V6("2002::/16"), "6to4"),
    (_V6("fd00:ec2::254/128"), "cloud metadata"),
    (_V6("fc00::/7"), "unique local"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "site-local (deprecated)"),
    (_V6("ff00::/8"), "multicast"),
)

_NAT64 = _V6("64:ff9b::/96")


def parse_networks(spec: str | Iterable[str | IPNetwork]) -> tuple[IPNetwork, ...]:
    """CIDRs from a comma-separated string (``REELSERVE_ALLOW_NETWORKS``) or a list.

    Raises ValueError naming the bad entry. A bare address is a network of one host.
    """
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    found: list[IPNetwork] = []
    for item in items:
        if isinstance(item, ipaddress.IPv4Network | ipaddress.IPv6Network):
            found.append(item)
            continue
        text = item.strip()
        if not text:
            continue
        try:
            found.append(ipaddress.ip_network(text, strict=False))
        except ValueError as exc:
            raise ValueError(f"not a network in CIDR form: {text!r}") from exc
    return tuple(found)


def _unwrap(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv4-mapped or NAT64 IPv6 address really reaches."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def refusal(address: IPAddress, allow_networks: Sequence[IPNetwork] = ()) -> str | None:
    """Why ``address`` may not be reached, or None when it may.

    ``allow_networks`` are checked against the address as given and against its unwrapped IPv4
    form, so opening 127.0.0.0/8 also opens ``::ffff:127.0.0.1``.
    """
    target = _unwrap(address)
    if any(
        a in net for net in allow_networks for a in {address, target} if a.version == net.version
    ):
        return None
    shown = str(address) if target == address else f"{address} (reaching {target})"
    table = _DENIED_V4 if isinstance(target, ipaddress.IPv4Address) else _DENIED_V6
    for network, label in table:
        if target in network:
            return f"address {shown} is not allowed ({label})"
    if not target.is_global or target.is_multicast or target.is_reserved:
        return f"address {shown} is not allowed (not globally routable)"
    return None


def ip_from_text(text: str) -> IPAddress:
    """An address from a resolver answer, with any IPv6 zone (``%eth0``) removed."""
    return ipaddress.ip_address(text.split("%", 1)[0])
