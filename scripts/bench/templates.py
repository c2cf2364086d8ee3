"""Benchmark template rendering: a typical MJML newsletter with variables, renders per second.

Three figures, each the best of ``--rounds`` timed rounds of ``--renders`` renders: the MJML
compile alone (MRML, done once per publish), one send's render of a published version
(sandboxed Jinja over subject, preheader, HTML and text, then the plain-text part), and the
content linter on the draft (compile + Jinja parse + every rule). No store is involved.

    .venv/bin/python -m scripts.bench.templates [--renders 2000] [--rounds 3] [--markdown]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from adapters.templates.jinja import JinjaRenderer
from adapters.templates.mjml import MrmlCompiler
from application.templates.content import Content, prepare
from application.templates.render import Recipient, context, render_page
from domain.templates.settings import SettingsDoc
from scripts.bench import stores
from scripts.bench.report import md_table, text_table, write_section

DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
START, END = "<!-- bench:templates:start -->", "<!-- bench:templates:end -->"
NEWSLETTER = (Path(__file__).resolve().parent / "newsletter.mjml").read_text()
NOTES = "\n".join([
    "- The newsletter (`scripts/bench/newsletter.mjml`) has a head (title, preview, attributes, style,",
    "  breakpoint), an image, a button, a three-column product loop, a divider, a spacer, social links",
    "  and a footer with `{{ unsubscribeUrl }}`; a send renders ~20 variables.",
    "- A send renders the stored HTML of a published version: MJML is compiled once, at publish.",
    "- The plain-text part is made from each rendered HTML (console.md §5.1): most of a render's time.",
    "- Best of the rounds, one process, one thread; compiled Jinja templates are cached per process.",
])
ITEMS = [
    {"title": f"Product {n}", "price": f"{n * 7}.00 EUR", "image": f"https://news.acme.test/p{n}.png"}
    for n in range(3)
]


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m scripts.bench.templates",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--renders", type=int, default=2000, help="renders per timed round (2000)")
    p.add_argument("--rounds", type=int, default=3, help="timed rounds; the best is reported (3)")
    args = stores.parse_common(p, argv)
    if args.quick:
        args.renders, args.rounds = 50, 1
    return args


def best_rate(fn: Callable[[int], object], count: int, rounds: int) -> float:
    fn(0)  # warm caches (compiled Jinja templates), as a running process has them
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for n in range(count):
            fn(n)
        best = max(best, count / (time.perf_counter() - start))
    return best


def measure(renders: int, rounds: int) -> list[tuple[str, float, int]]:
    compiler, renderer = MrmlCompiler(), JinjaRenderer()
    html = compiler.compile(NEWSLETTER).html
    subject, preheader = "{{ contact.fields.first_name }}, this week at Acme", "{{ vars.intro }}"

    def render(n: int) -> object:
        recipient = Recipient(external_id=f"u{n}", email=f"u{n}@ex.test", fields={"first_name": f"Ann{n}"})
        ctx = context(
            recipient,
            {"intro": "New arrivals", "products": ITEMS, "title": "News"},
            event=None,
            unsubscribe_url=f"https://acme.test/t/u/{n}",
            sender_address="1 Main St",
            slug="news",
            version=1,
            now=1_780_000_000.0,
        )
        return render_page(renderer, subject, preheader, html, None, ctx)

    content = Content(
        subject=subject,
        preheader=preheader,
        format="mjml",
        source=NEWSLETTER,
        text=None,
        from_email="hello@news.acme.test",
        kind="marketing",
    )
    settings = SettingsDoc()
    lint_count = max(1, renders // 10)
    return [
        (
            "MJML compile (MRML), once per publish",
            best_rate(lambda _: compiler.compile(NEWSLETTER), renders, rounds),
            renders,
        ),
        ("render one send (Jinja + plain text)", best_rate(render, renders, rounds), renders),
        (
            "lint a draft (compile + parse + rules)",
            best_rate(
                lambda _: prepare(content, compiler, renderer, settings, "https://acme.test"),
                lint_count,
                rounds,
            ),
            lint_count,
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    load = f"{os.getloadavg()[0]:.2f}"
    figures = measure(args.renders, args.rounds)
    rows = [[name, f"{count:,}", f"{rate:,.0f}/s"] for name, rate, count in figures]
    print(text_table(["case", "per round", "rate"], rows))
    out = DOCS if args.markdown else args.out
    if out is not None:
        command = "python -m scripts.bench.templates " + shlex.join(
            argv if argv is not None else sys.argv[1:]
        )
        info = stores.machine(None, load)
        section = (
            "\n\n".join(
                [
                    START,
                    "## Template rendering (`scripts/bench/templates.py`)",
                    f"Measured {dt.date.today().isoformat()} with:\n\n```\n{command}\n```",
                    "### Machine\n\n" + md_table(["", ""], [[k, v] for k, v in info.items()]),
                    "### Figures\n\n" + md_table(["case", "per round", "rate"], rows),
                    "### Notes\n\n" + NOTES,
                    END,
                ]
            )
            + "\n"
        )
        write_section(out, section, start=START, end=END)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
