"""Text helpers: NFC normalisation and diacritic folding for search and file names."""

from __future__ import annotations

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
