"""Interface strings in Vietnamese (default) and English: one table, read once.

The table is ``geo_kttt/locale/strings.toml`` (key -> ``{vi, en}``, grouped in sections that
only organise the file; the model is pygeoapi's ``l10n.py`` with its ``locale/``). A key
defined twice, in one section or in two, is an error, as is a string lacking a language:
:func:`load_strings` raises :class:`StringTableError` and the package does not import.
Templates call ``t("legend")``; code calls ``t(key, lang)``. No module adds strings of its own.

Also for the language: numbers and dates written with Babel (:func:`number`, :func:`percent`,
:func:`date`: ``1.987``, ``698,3``, ``02/12/2026`` in Vietnamese; ``1,987``, ``698.3``,
``2 Dec 2026`` in English), and :class:`Msg`, a message that renders in either language
later (the command line, the validator, the importer and the error pages use it).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from markupsafe import Markup, escape

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


# --- messages that render in either language --------------------------------------------------

class Code(str):
    """One value a person types (a URL parameter's name, a code): ``<code>`` on a page."""


class Codes(tuple):
    """Values a person types, such as a URL parameter's allowed values: in a message a list
    (``a, b, c``), on a page each in ``<code>`` (see :meth:`Msg.html`)."""

    def __str__(self) -> str:
        return ", ".join(str(c) for c in self)


class Num(float):
    """A number in a message, written for the message's language (``12,3 km`` / ``12.3 km``)."""

    def __new__(cls, value, places: int | None = None):
        self = super().__new__(cls, value)
        self.places = places
        return self

    def __reduce__(self):
        return (Num, (float(self), self.places))


def _fill(key: str, lang: str, params: dict, html: bool = False) -> str:
    values = {}
    for k, v in params.items():
        if isinstance(v, Num):
            v = number(v, lang, v.places)
        elif isinstance(v, Msg):
            v = v.html(lang) if html else v.text(lang)
        elif callable(getattr(v, "text", None)):  # anything that says itself (a validator Problem)
            v = v.text(lang)
        elif isinstance(v, Codes) and html:
            v = Markup(", ").join(Markup("<code>{}</code>").format(c) for c in v)
        elif isinstance(v, Code) and html:
            v = Markup("<code>{}</code>").format(v)
        values[k] = str(v) if isinstance(v, Codes) else v
    text = t(key, lang)
    return Markup(escape(text)).format(**values) if html else text.format(**values)


class Msg(str):
    """A message of the table, with its values: the English text as a ``str``, and any language
    on demand (``msg.text("vi")``). Values that are themselves ``Msg`` render in the same
    language. The validator's problems, the importer's notes and the errors are ``Msg``, so
    logs and JSON keep one language while the command line and the pages speak the user's.
    """

    key: str
    params: dict

    def __new__(cls, key: str, **params):
        self = super().__new__(cls, _fill(key, "en", params))
        self.key, self.params = key, params
        return self

    def text(self, lang: str = "vi") -> str:
        return _fill(self.key, lang, self.params)

    def html(self, lang: str = "vi") -> Markup:
        """The message as safe HTML: values escaped, :class:`Codes` in ``<code>``."""
        return _fill(self.key, lang, self.params, html=True)

    def __reduce__(self):  # copy, deepcopy (dataclasses.asdict) and pickle keep the key
        return (_msg, (self.key, self.params))

    def __deepcopy__(self, memo):
        return self


def _msg(key: str, params: dict) -> Msg:
    return Msg(key, **params)


def say(value, lang: str = "vi", html: bool = False) -> str:
    """``value`` in ``lang``: a :class:`Msg` rendered, an error's message, anything else as text
    (``html``: as safe HTML, codes in ``<code>``)."""
    if isinstance(value, BaseException) and not callable(getattr(value, "text", None)):
        value = value.args[0] if len(value.args) == 1 else str(value)
    if isinstance(value, Msg):
        return value.html(lang) if html else value.text(lang)
    if callable(getattr(value, "text", None)):  # an error or a Problem that says itself
        value = value.text(lang)
    return escape(str(value)) if html else str(value)


# --- numbers and dates for the language (Babel) -------------------------------------------------

def _missing(value) -> bool:
    return value is None or value != value or (isinstance(value, str) and not value.strip())


def number(value, lang: str = "vi", places: int | None = None, max_places: int = 2) -> str:
    """A number written for ``lang``: ``1.987``, ``698,31``, ``29,1`` (vi); ``1,987``, ``698.31`` (en).

    ``places`` fixes the decimals; by default as many as needed, at most ``max_places``. A
    missing value (None, NaN, '') gives ''.
    """
    if _missing(value):
        return ""
    decimals = "#" * max_places if places is None else "0" * places
    return format_decimal(float(value), format="#,##0" + ("." + decimals if decimals else ""), locale=lang)


def number_span(low, high, lang: str = "vi", places: int | None = None) -> str:
    """``12–15``, or one number when both ends are equal (or ``high`` is missing)."""
    if _missing(high) or high == low:
        return number(low, lang, places)
    return f"{number(low, lang, places)}–{number(high, lang, places)}"


def percent(share, lang: str = "vi", places: int = 0) -> str:
    """A share (0.48) as a percentage for ``lang``: ``48%``; '' when missing."""
    if _missing(share):
        return ""
    return format_percent(float(share), format="#,##0" + ("." + "0" * places if places else "") + "%",
                          locale=lang)


DATE_FORMATS = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}


def date(value, lang: str = "vi") -> str:
    """A date for people: ``02/12/2026`` (vi), ``2 Dec 2026`` (en). ISO text, a date or a
    datetime; text that is not an ISO date is returned as it is. Data files keep ISO dates."""
    if _missing(value):
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        value = value.date()
    return format_date(value, DATE_FORMATS[lang], locale=lang)
