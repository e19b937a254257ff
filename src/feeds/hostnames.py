"""Host names, addresses and networks as people write them in settings.

One parser for ``[aggregator] allow_hosts`` / ``FEEDS_ALLOW_HOSTS``: the config loader
uses it to refuse a bad entry at start-up, and ``feeds.aggregate.policy`` uses it to
build its allowlist, so the two can never disagree about what an entry means.
"""

from __future__ import annotations

import ipaddress
import re

__all__ = ["Network", "check_hostname", "parse_allow_entry"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# RFC 1123 §2.1 labels (letters, digits, hyphens; not at either end), at most 63
# characters each and 253 in all. Underscores appear in real internal names, so allow them.
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


def check_hostname(host: str) -> str | None:
    """Why ``host`` is not a usable host name, or None when it is (``feeds.example``).

    Internationalised names are accepted in their Unicode or ``xn--`` form.
    """
    if "://" in host or "/" in host:
        return f"{host!r} is not a host name: write the host alone, without scheme or path"
    if ":" in host:
        return f"{host!r} is not a host name: no port here"
    if "*" in host:
        return f"{host!r} is not a host name: wildcards are not supported, list each host"
    try:
        ascii_name = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        return f"{host!r} is not a valid internationalised host name"
    name = ascii_name.lower().removesuffix(".")
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return (
            f"{host!r} is not a host name: letters, digits and '-' in dot-separated labels "
            "of at most 63 characters"
        )
    if labels[-1].isdigit():
        return f"{host!r} is neither an IP address nor a host name"
    return None


def parse_allow_entry(entry: str) -> Network | str:
    """An allowlist entry as a network (``127.0.0.1`` -> ``127.0.0.1/32``,
    ``10.1.0.0/16``, ``::1``, ``[::1]``) or a lower-case host name without a trailing dot.

    A network with host bits set (``10.1.2.3/16``) means the network it lies in.
    Raises ``ValueError`` saying what is wrong with anything else.
    """
    text = entry.strip().lower()
    if not text:
        raise ValueError("empty; write a host name, an IP address or a network")
    unbracketed = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        return ipaddress.ip_network(unbracketed, strict=False)
    except ValueError:
        pass
    if "/" in unbracketed and "://" not in unbracketed:
        raise ValueError(f"{entry!r} is not an IP network such as '10.1.0.0/16'")
    problem = check_hostname(unbracketed)
    if problem:
        raise ValueError(
            f"{problem} (an entry is a host name, an IP address or a network, "
            "e.g. feeds.example, 127.0.0.1, 10.1.0.0/16)"
        )
    return unbracketed.removesuffix(".")
