"""Inbound report parsers: RFC 3464 DSNs, RFC 5965 ARF, heuristics for other bounce mails.

Pure functions over the raw bytes (stdlib ``email`` only): ``parse_report`` is what the
application's ``BounceParser`` port calls (``StdlibBounceParser``).
"""

from adapters.bounces.parse import StdlibBounceParser, parse_report

__all__ = ["StdlibBounceParser", "parse_report"]
