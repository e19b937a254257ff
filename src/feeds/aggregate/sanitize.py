"""Make another outlet's HTML safe to store and re-serve (see ``feeds.safehtml``).

The policy lives in ``feeds.safehtml`` with the newsroom's own, so the site has one
sanitiser; this module keeps the names the aggregator's parsers import.
"""

from __future__ import annotations

from feeds.safehtml import html_to_text, sanitize_html

__all__ = ["html_to_text", "sanitize_html"]
