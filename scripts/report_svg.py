"""Hand-written inline SVG charts for the HTML report: no libraries, no external URLs.

A chart is a string of SVG that a browser draws in place; values are plain floats and the
x axis is a list of labels (time buckets), so the numbers come straight from polars.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

PALETTE = ("#2f6fb0", "#d9822b", "#3a9d5d", "#c23b3b", "#7b5ea7", "#8c6d46", "#c9599a", "#6b6b6b")
W, H, LEFT, RIGHT, TOP, BOTTOM = 760, 260, 56, 150, 28, 44


def _ticks(top: float) -> list[float]:
    if top <= 0:
        return [0.0, 1.0]
    step = 10 ** (len(str(int(top))) - 1) if top >= 1 else 0.1
    while top / step > 6:
        step *= 2
    while top / step < 3 and step > 1e-6:
        step /= 2
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def _frame(
    title: str, labels: Sequence[str], ymax: float, fmt: Callable[[float], str]
) -> tuple[list[str], float]:
    """Title, grid, y ticks and x labels; returns the parts and the y value at the top."""
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    ticks = _ticks(ymax)
    top = ticks[-1] or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
        f'role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="11">',
        f'<text x="{LEFT}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for t in ticks:
        y = TOP + plot_h - plot_h * t / top
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(t))}</text>')
    every = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        if i % every == 0:
            x = LEFT + plot_w * (i + 0.5) / max(1, len(labels))
            parts.append(
                f'<text x="{x:.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{escape(label)}</text>'
            )
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#999"/>'
    )
    return parts, top


def _legend(names: Sequence[str]) -> list[str]:
    out = []
    for i, name in enumerate(names):
        y = TOP + 14 * i
        out.append(
            f'<rect x="{W - RIGHT + 12}" y="{y}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>'
        )
        out.append(f'<text x="{W - RIGHT + 26}" y="{y + 9}">{escape(name[:22])}</text>')
    return out


def line_chart(
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
) -> str:
    """One line per series; a None value is a gap (no sends that bucket: no rate)."""
    values = [v for s in series.values() for v in s if v is not None]
    parts, top = _frame(title, labels, max(values, default=0.0), fmt)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    for i, (_name, points) in enumerate(series.items()):
        color, path, pen = PALETTE[i % len(PALETTE)], [], "M"
        for j, v in enumerate(points):
            if v is None:
                pen = "M"
                continue
            x = LEFT + plot_w * (j + 0.5) / max(1, len(labels))
            y = TOP + plot_h - plot_h * v / top
            path.append(f"{pen}{x:.1f},{y:.1f}")
            pen = "L"
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{color}"><title>'
                f"{escape(labels[j])}: {escape(fmt(v))}</title></circle>"
            )
        if path:
            parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="{color}" stroke-width="2"/>')
    return "\n".join([*parts, *_legend(list(series)), "</svg>"])


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float]],
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
) -> str:
    """Stacked bars: one bar per label, one colour per series."""
    totals = [sum(s[j] for s in series.values()) for j in range(len(labels))]
    parts, top = _frame(title, labels, max(totals, default=0.0), fmt)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    slot = plot_w / max(1, len(labels))
    for j, label in enumerate(labels):
        base = 0.0
        for i, (name, values) in enumerate(series.items()):
            v = values[j]
            if v <= 0:
                continue
            y0, y1 = TOP + plot_h - plot_h * base / top, TOP + plot_h - plot_h * (base + v) / top
            parts.append(
                f'<rect x="{LEFT + slot * j + slot * 0.15:.1f}" y="{y1:.1f}" width="{slot * 0.7:.1f}" '
                f'height="{y0 - y1:.1f}" fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(label)} '
                f"{escape(name)}: {escape(fmt(v))}</title></rect>"
            )
            base += v
    return "\n".join([*parts, *_legend(list(series)), "</svg>"])


def percent(v: float) -> str:
    return f"{v * 100:.1f}%" if v < 0.1 else f"{v * 100:.0f}%"
