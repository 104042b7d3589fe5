"""The addresses the service hands out: redirect targets a request names, and the links in mail.

Where a redirect may go when the request names its target (``?next=``): a path on this site, nothing else.

``safe_next`` parses the target as a browser would (``urllib.parse.urlsplit``, which like a browser drops
tabs and line breaks inside a URL, so ``/\\t/evil.example`` reads as ``//evil.example``) and accepts it
only when it has no scheme and no host and its path begins with a single ``/``. A target holding a
control or format character, any space or a backslash is refused before it is parsed: browsers read a backslash as a
slash, and a line break would reach the ``Location`` header. Every view that redirects to a target taken
from the request calls it; a refused target falls back to the caller's default page.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit, urlunsplit

from flask import current_app, url_for

# The longest target kept: a page of this site has no address near this long.
MAX_TARGET = 2000


def safe_next(target: str | None) -> str | None:
    """``target`` as a path on this site (with its query and fragment), or None when it is anything else."""
    if not target or len(target) > MAX_TARGET:
        return None
    if any(ch == "\\" or ch.isspace() or unicodedata.category(ch).startswith("C") for ch in target):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:  # an unbalanced "[" in what would be a host
        return None
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return urlunsplit(("", "", parts.path, parts.query, parts.fragment))


def public_url(endpoint: str, **values) -> str:
    """The full address of a page for a mail: ``PUBLIC_BASE_URL`` and the page's path, never the Host the
    request came with (a password-reset link built on a Host an attacker sent would go to the attacker)."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, **values)
