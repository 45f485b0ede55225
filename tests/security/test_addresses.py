"""The address policy on its own: what is public, what is refused, what allow_networks opens."""

from __future__ import annotations

import ipaddress

import pytest

from reelserve.adapters.net.addresses import parse_networks, refusal


@pytest.mark.parametrize(
    "text",
    [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.216.34",
        "2606:4700:4700::1111",
        "2a00:1450:4001:82b::200e",
        "::ffff:8.8.8.8",  # IPv4-mapped public: judged as 8.8.8.8
        "64:ff9b::808:808",  # NAT64 of a public address (IPv6-only networks with DNS64)
    ],
)
def test_public_addresses_are_allowed(text: str) -> None:
    assert refusal(ipaddress.ip_address(text)) is None


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("64:ff9b::a00:1", "private"),
        ("2002:808:808::1", "6to4"),  # refused even around a public address
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("100.64.0.1", "CGNAT"),
        ("fe80::1", "link-local"),
        ("ff02::1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("2001:db8::1", "documentation"),
    ],
)
def test_special_addresses_are_refused_with_a_reason(text: str, label: str) -> None:
    reason = refusal(ipaddress.ip_address(text))

    assert reason is not None and label in reason


def test_allow_networks_opens_the_network_and_its_mapped_form() -> None:
    allowed = parse_networks("127.0.0.0/8")

    assert refusal(ipaddress.ip_address("127.0.0.5"), allowed) is None
    assert refusal(ipaddress.ip_address("::ffff:127.0.0.5"), allowed) is None
    assert refusal(ipaddress.ip_address("::1"), allowed) is not None
    assert refusal(ipaddress.ip_address("10.0.0.1"), allowed) is not None


def test_parse_networks_reads_the_setting() -> None:
    found = parse_networks(" 10.0.0.0/8, 192.168.1.7 ,, fd00::/8 ")

    assert [str(n) for n in found] == ["10.0.0.0/8", "192.168.1.7/32", "fd00::/8"]
    assert parse_networks("") == ()
    assert parse_networks([ipaddress.ip_network("::1/128"), "127.0.0.1"])[1].prefixlen == 32


def test_parse_networks_names_a_bad_entry() -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33'"):
        parse_networks("127.0.0.0/8,10.0.0.0/33")
