"""Text helpers: NFC normalisation, diacritic folding, and text made safe for where it goes."""

from __future__ import annotations

import json
import re
import unicodedata


def nfc(value) -> str:
    return unicodedata.normalize("NFC", str(value)).strip() if value is not None else ""


def fold(value: str) -> str:
    """Lower-case ASCII form: 'Châu Đốc' and 'CHAU DOC' both give 'chau doc'."""
    s = unicodedata.normalize("NFD", str(value).replace("đ", "d").replace("Đ", "D"))
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", s).strip().lower()


def slug(value: str) -> str:
    """A safe ASCII file-name part: 'Châu Đốc / x' -> 'chau-doc-x'."""
    return re.sub(r"[^a-z0-9]+", "-", fold(value)).strip("-") or "atlas"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Neutralise spreadsheet formula injection: text starting with = + - @ gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        try:
            float(value)
            return value  # a plain negative number such as "-3.5"
        except ValueError:
            return "'" + value
    return value


# Characters that never appear in JSON outside strings, escaped so JSON is safe in a <script>.
_SCRIPT_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027",
                                 "\u2028": "\\u2028", "\u2029": "\\u2029"})
# A template opener ({{, {%, {#). In JSON a structural "{" is followed by '"' or "}", so this
# only ever matches inside strings.
_TEMPLATE_OPEN = re.compile(r"\{(?=[{%#])")


def script_json(obj) -> str:
    """``obj`` as JSON that is safe inside an HTML ``<script>`` and inert in any template pass.

    Like Jinja's ``tojson`` (``<``, ``>``, ``&``, ``'`` escaped), and ``{`` is written as
    ``\\u007b`` where it would open a Jinja tag: folium/branca compile a map's script parts
    as templates, so data such as ``{{7*7}}`` must never reach them as template syntax.
    """
    text = json.dumps(obj, ensure_ascii=False)
    return _TEMPLATE_OPEN.sub(r"\\u007b", text.translate(_SCRIPT_ESCAPES))
