"""The public suffix list as the ``publicsuffixlist`` package ships it: read once, never fetched."""

from __future__ import annotations

import functools

from publicsuffixlist import PublicSuffixList


@functools.cache
def public_suffixes() -> PublicSuffixList:
    """The shared list (loading it parses the bundled file, so it happens once)."""
    return PublicSuffixList()
