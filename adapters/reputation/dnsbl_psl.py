"""Registrable domains (eTLD+1) from the Public Suffix List snapshot the ``publicsuffixlist``
package ships (ADR 0021): offline, and updated by upgrading the pinned package."""

from __future__ import annotations

import functools

from publicsuffixlist import PublicSuffixList


@functools.cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()  # loads the bundled public_suffix_list.dat; no network


def registrable(domain: str) -> str:
    """``news.acme.co.uk`` -> ``acme.co.uk``; a bare public suffix stays as it is. Unknown
    TLDs (``.test``) follow the list's default rule: one label below the TLD."""
    name = domain.lower().rstrip(".")
    return _psl().privatesuffix(name) or name
