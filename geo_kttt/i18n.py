"""Interface strings in Vietnamese (default) and English: one table, read once.

The table is ``geo_kttt/locale/strings.toml`` (key -> ``{vi, en}``, grouped in sections that
only organise the file; the model is pygeoapi's ``l10n.py`` with its ``locale/``). A key
defined twice, in one section or in two, is an error, as is a string lacking a language:
:func:`load_strings` raises :class:`StringTableError` and the package does not import.
Templates call ``t("legend")``; code calls ``t(key, lang)``. No module adds strings of its own.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from .errors import AtlasError

LANGS = ("vi", "en")
TABLE = Path(__file__).resolve().parent / "locale" / "strings.toml"


class StringTableError(AtlasError, ValueError):
    """The string table cannot be used: bad TOML, a duplicate key, a missing language."""


def _is_string(value) -> bool:
    return isinstance(value, dict) and any(lang in value for lang in LANGS)


def load_strings(path: Path = TABLE) -> dict[str, dict[str, str]]:
    """Read a string table: ``{key: {"vi": …, "en": …}}`` with the sections flattened.

    Raises
    ------
    StringTableError
        For invalid TOML (which includes a key repeated in one section), a key that two
        sections define, or a string without both languages.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise StringTableError(f"{path}: {e} (a key may be defined only once)") from e
    out: dict[str, dict[str, str]] = {}
    where: dict[str, str] = {}

    def walk(table: dict, section: str) -> None:
        for key, value in table.items():
            if not _is_string(value):
                if not isinstance(value, dict):
                    raise StringTableError(f"{path}: [{section}] {key} is neither a section nor "
                                           "{ vi = …, en = … }")
                walk(value, f"{section}.{key}" if section else key)
                continue
            if key in out:
                raise StringTableError(f"{path}: key '{key}' is defined twice, in [{where[key]}] and "
                                       f"[{section}]; keys are used without their section")
            missing = [lang for lang in LANGS if not isinstance(value.get(lang), str) or not value[lang]]
            extra = sorted(set(value) - set(LANGS))
            if missing or extra:
                raise StringTableError(f"{path}: [{section}] {key} lacks {missing} or has unknown {extra}")
            out[key], where[key] = {lang: value[lang] for lang in LANGS}, section
    walk(data, "")
    return out


STRINGS: dict[str, dict[str, str]] = load_strings()


def t(key: str, lang: str = "vi") -> str:
    """The text of ``key`` in ``lang``; an unknown key raises so gaps are found in tests."""
    return STRINGS[key][lang]
