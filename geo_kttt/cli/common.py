"""What the command modules share: where the layers and the atlas are, the language people
read, and plain text tables (aligned by what a terminal shows, numbers for the language)."""

from __future__ import annotations

import numbers
import re
import unicodedata

from .. import settings
from ..i18n import LANGS, number

NUMERIC = re.compile(r"^[\d.,–\-%+ ()]*\d[\d.,–\-%+ ()]*$")


def paths(args):
    """(layers folder, atlas location) from the global options, then the settings."""
    layers = settings.path("LAYERS_DIR", args.layers_dir)
    atlas = args.database or settings.get("DATABASE_URL") or settings.path("ATLAS", args.atlas)
    return layers, atlas


def ui_lang(args) -> str:
    """The language of messages and tables: ``--lang`` before the command, else a command's
    own ``--lang`` (vi or en), else GEO_KTTT_LANG, else Vietnamese."""
    for lang in (getattr(args, "ui_lang", None), getattr(args, "lang", None), settings.get("LANG")):
        if lang in LANGS:
            return lang
    return "vi"


def width(text: str) -> int:
    """How many terminal columns ``text`` takes (combining marks none, wide characters two)."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in unicodedata.normalize("NFC", text))


def fmt_table(df, columns, lang: str = "vi", headers=None, total: bool = False) -> str:
    """``df``'s ``columns`` as an aligned text table: text left, numbers right (written for
    ``lang``), ``headers`` (default: the column names) over a rule; ``total``: the last row is
    a total and sits below a second rule."""
    head = [str(h) for h in (headers or columns)]
    body = [[_cell(r[c], lang) for c in columns] for _, r in df.iterrows()]
    right = [bool(body) and all(NUMERIC.match(row[i]) or not row[i] for row in body)
             for i in range(len(columns))]
    widths = [max(width(row[i]) for row in [head, *body]) for i in range(len(columns))]

    def line(row):
        return "  ".join((" " * (w - width(v)) + v) if r else (v + " " * (w - width(v)))
                         for v, w, r in zip(row, widths, right, strict=True)).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    lines = [line(head), rule, *(line(row) for row in body)]
    if total and body:
        lines.insert(len(lines) - 1, rule)
    return "\n".join(lines)


def _cell(v, lang: str) -> str:
    if isinstance(v, bool) or v is None:
        return "" if v is None else str(v)
    if isinstance(v, numbers.Number):
        return "" if v != v else number(v, lang)
    return str(v)
