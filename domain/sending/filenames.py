"""The sent name of an attachment: its ``{MD5:<hex>}`` marker removed (spec proxy.md §9.3)."""

from __future__ import annotations

import re

_MARKER = re.compile(r"\{MD5:([0-9A-Fa-f]+)\}")
_UNDERSCORES = re.compile(r"_+")


def clean_filename(filename: str) -> tuple[str, str | None]:
    """``report_{MD5:AB12}.pdf`` -> ``("report.pdf", "ab12")``.

    A name without a marker is returned unchanged: the underscore tidy-up only repairs what
    removing the marker leaves behind, so ``my__notes.txt`` keeps its spelling. That also
    makes the function idempotent, so any layer may apply it again.
    """
    found = _MARKER.search(filename)
    if found is None:
        return filename, None
    name = _MARKER.sub("", filename)
    name = _UNDERSCORES.sub("_", name).strip("_").replace("_.", ".")
    return name, found.group(1).lower()
