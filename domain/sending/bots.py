"""Bot and prefetch flags on opens and clicks (console.md §10).

Pure rules: which hits a scanner, a privacy proxy or a too-fast client made. Every hit is
kept; the flag only decides whether KPIs, hygiene and segments count it as human.
"""

from __future__ import annotations

import ipaddress
from typing import Literal

import msgspec

BotReason = Literal["scanner_ua", "apple_mpp", "fast_click", "fast_open"]
SCANNERS = (
    "mimecast",
    "safelinks",
    "proofpoint",
    "barracuda",
    "headlesschrome",
    "googlebot",
    "bingbot",
    "python-requests",
    "curl/",
    "go-http-client",
)


class BotRules(msgspec.Struct, frozen=True, kw_only=True):
    """The ``tracking.*`` settings, defaults as the spec gives them."""

    bot_user_agents: tuple[str, ...] = ()
    apple_proxy_cidrs: tuple[str, ...] = ()  # operators load Apple's egress ranges; none by default
    apple_bare_user_agent: bool = True
    bot_click_window_seconds: float = 10
    bot_open_window_seconds: float = 0  # 0 = off


def _in_cidrs(ip: str | None, cidrs: tuple[str, ...]) -> bool:
    if not ip or not cidrs:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(c, strict=False) for c in cidrs)


def bot_reason(
    kind: Literal["open", "click"],
    user_agent: str | None,
    ip: str | None,
    sent_ts: float | None,
    at: float,
    rules: BotRules = BotRules(),
) -> BotReason | None:
    """The first rule that flags the hit, or None for a human. No user agent = human."""
    ua = (user_agent or "").strip()
    lowered = ua.lower()
    if ua and any(s in lowered for s in (*SCANNERS, *(b.lower() for b in rules.bot_user_agents))):
        return "scanner_ua"
    if kind == "open" and (
        _in_cidrs(ip, rules.apple_proxy_cidrs) or (rules.apple_bare_user_agent and ua == "Mozilla/5.0")
    ):
        return "apple_mpp"
    window = rules.bot_click_window_seconds if kind == "click" else rules.bot_open_window_seconds
    if window > 0 and sent_ts is not None and at - sent_ts < window:
        return "fast_click" if kind == "click" else "fast_open"
    return None


def truncate_ip(ip: str | None) -> str | None:
    """IPv4 cut to /24, IPv6 to /48 before anything is stored (console.md §2.4)."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)
