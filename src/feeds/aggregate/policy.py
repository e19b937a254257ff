"""Which addresses the aggregator may fetch from: public ones, plus an explicit allowlist.

A feed URL is chosen by whoever adds a source, and a redirect or a DNS answer can point
anywhere, so every hop is checked twice: the URL (scheme, and the host when it is an IP
literal) before the request, and every address the host resolves to at connect time
(``feeds.aggregate.fetch`` installs a resolver that asks ``AddressPolicy``). Checking the
resolved address, not the name, is what defeats DNS rebinding and names such as
``169.254.169.254.nip.io``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from feeds.errors import FeedsError
from feeds.hostnames import parse_allow_entry

__all__ = ["AddressPolicy", "BlockedError", "forbidden_reason"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# URL origins (scheme and netloc) found fine that a policy remembers, at most; then it
# starts again. A daemon requests the same few thousand origins every cycle.
_REMEMBERED = 8192

# Checked in order; the first match names the reason. Python's ``is_global`` catches most
# of these too, but not all (multicast, IPv4-mapped, NAT64 and 6to4 count as "global"), and
# a named reason makes the error readable.
_FORBIDDEN: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.ip_network(net), why)
    for net, why in (
        ("0.0.0.0/8", "an unspecified ('this network') address"),
        ("127.0.0.0/8", "a loopback address"),
        ("10.0.0.0/8", "a private address (RFC 1918)"),
        ("172.16.0.0/12", "a private address (RFC 1918)"),
        ("192.168.0.0/16", "a private address (RFC 1918)"),
        ("169.254.0.0/16", "a link-local address (cloud metadata lives there)"),
        ("100.64.0.0/10", "a carrier-grade NAT address (RFC 6598)"),
        ("192.0.0.0/24", "an IETF protocol assignment (RFC 6890)"),
        ("198.18.0.0/15", "a benchmarking address (RFC 2544)"),
        ("224.0.0.0/4", "a multicast address"),
        ("240.0.0.0/4", "a reserved address"),
        ("::/128", "the unspecified address"),
        ("::1/128", "a loopback address"),
        ("::ffff:0:0/96", "an IPv4-mapped address"),
        ("::/96", "an IPv4-compatible address"),
        ("64:ff9b::/96", "a NAT64 address (RFC 6052)"),
        ("64:ff9b:1::/48", "a local-use NAT64 address (RFC 8215)"),
        ("2002::/16", "a 6to4 address, which can embed any IPv4 address"),
        ("2001::/32", "a Teredo address"),
        ("fc00::/7", "a unique local address (ULA)"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a site-local address"),
        ("ff00::/8", "a multicast address"),
    )
)


class BlockedError(FeedsError):
    """The URL or the address it resolves to is not one the aggregator may fetch."""


def forbidden_reason(address: IPAddress) -> str | None:
    """Why the aggregator must not connect to ``address``, or None when it is public."""
    for network, why in _FORBIDDEN:
        if address.version == network.version and address in network:
            return why
    if not address.is_global:
        return "not a public address"
    return None


class AddressPolicy:
    """Public addresses only, unless a host, an address or a network is allowlisted.

    ``allow_hosts`` entries are host names (``feeds.example``), addresses (``127.0.0.1``)
    or networks (``10.1.0.0/16``), as in ``[aggregator] allow_hosts`` and
    ``FEEDS_ALLOW_HOSTS``. An allowed name may resolve anywhere; an allowed address or
    network opens exactly those addresses, whatever name points at them.
    """

    def __init__(self, allow_hosts: Iterable[str] = ()) -> None:
        self._names: set[str] = set()
        # (scheme, netloc) of URLs that passed ``check_url``: what it checks is all in
        # these two, so the same pair passes again without the address checks.
        self._fine: set[tuple[str, str]] = set()
        self._networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow_hosts:
            if not entry.strip():
                continue
            # The config loader refuses what this raises for, at start-up (same parser).
            parsed = parse_allow_entry(entry)
            if isinstance(parsed, str):
                self._names.add(parsed)
            else:
                self._networks.append(parsed)

    def host_allowed(self, host: str) -> bool:
        return host.lower().rstrip(".").strip("[]") in self._names

    def address_allowed(self, address: IPAddress) -> bool:
        return any(address.version == n.version and address in n for n in self._networks)

    def check_address(self, host: str, address: IPAddress | str) -> None:
        """Raise BlockedError unless connecting to ``address`` (for ``host``) is allowed."""
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        if self.host_allowed(host) or self.address_allowed(ip):
            return
        why = forbidden_reason(ip)
        if why is not None:
            raise BlockedError(
                f"{host} resolves to {ip}, {why}; add it to [aggregator] allow_hosts "
                "(FEEDS_ALLOW_HOSTS) if this is intended"
            )

    def check_url(self, url: str) -> None:
        """Raise BlockedError for a URL that must not be requested at all.

        Only http(s) without credentials; an IP-literal host is checked here because no
        name resolution happens for it.
        """
        try:
            parts = urlsplit(url)
            origin = (parts.scheme, parts.netloc)
            if origin in self._fine:
                return
            port = parts.port
        except ValueError as exc:
            raise BlockedError(f"{url!r} is not a valid URL: {exc}") from None
        if parts.scheme not in ("http", "https"):
            raise BlockedError(f"{url!r}: only http and https URLs can be fetched")
        host = parts.hostname
        if not host:
            raise BlockedError(f"{url!r} has no host")
        if parts.username is not None or parts.password is not None:
            raise BlockedError(f"{url!r}: URLs with credentials are not fetched")
        if port == 0:
            raise BlockedError(f"{url!r}: port 0 cannot be fetched")
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            self.check_address(host, literal)
        if len(self._fine) >= _REMEMBERED:
            self._fine.clear()
        self._fine.add(origin)
