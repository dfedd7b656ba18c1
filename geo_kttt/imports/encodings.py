"""Decoding officers' text files and spotting legacy Vietnamese font encodings.

Files arrive as UTF-8 (with or without BOM), UTF-16 ("Unicode text" saved by Excel,
tab-separated) or Windows-1258, whose tone marks are *combining* characters: all
text is normalised to NFC. Text typed with the old TCVN3 (ABC) or VNI fonts decodes
to plausible-looking Latin-1 letters ("Nhµ m¸y", "Vieät Nam"); it is detected and
reported with a hint to convert it, never stored.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from ..errors import AtlasError
from ..i18n import Msg
from ..io import parse_csv

UNIKEY_HINT = "imp_unikey_hint"  # the string table's key: convert with Unikey's toolkit

# Letter + mark pairs that Vietnamese Unicode text never contains but the legacy fonts produce.
# TCVN3 (ABC) maps letters to Latin-1 symbols: à=µ á=¸ ả=¶ ã=· ạ=¹ â=© ă=¨ ê=ª ô=« ơ=¬ đ=® Đ=§.
TCVN3_RE = re.compile(r"[A-Za-z][µ¸¶·¹©¨ª«¬¦¤¥¢¡£]|[®§][a-z]")
# VNI Windows types marks after the base letter: aø aù aû aõ aï (tones), aâ eâ oâ (hats),
# ô ö (ơ ư), ñ (đ); e.g. "Vieät Nam", "Nhaø maùy ñieän".
VNI_RE = re.compile(r"[A-Za-z][äåëæøûïÄÅËÆØÛÏ]|[aeoAEO][âÂ]|[ñÑ][a-zA-Z]|[a-zA-Z][öÖ][a-zA-Z]")
MOJIBAKE_RE = re.compile(r"Ã[\x80-\xbf¡-¿]|áº|á»|Ä[\x80-\x91]|Æ°|Æ¡")


class EncodingProblem(AtlasError, ValueError):
    """Bytes that cannot be read as any supported encoding."""

    http_status = 400


def decode(data: bytes, name: str = "file") -> tuple[str, str]:
    """Decode a text file's bytes; return (NFC text, encoding name used).

    Parameters
    ----------
    data : bytes
        The whole file.
    name : str
        Used in error messages.

    Raises
    ------
    EncodingProblem
        When the bytes are neither UTF-8/UTF-16 nor Windows-1258.
    """
    if data.startswith(codecs.BOM_UTF8):
        enc = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        enc = "utf-16"
    elif data[:2000].count(b"\x00") > len(data[:2000]) // 4:
        enc = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
    else:
        try:
            return nfc_text(data.decode("utf-8")), "utf-8"
        except UnicodeDecodeError:
            enc = "cp1258"
    try:
        return nfc_text(data.decode(enc)), enc
    except UnicodeDecodeError as e:
        raise EncodingProblem(Msg("imp_bad_bytes", name=name, at=e.start, encoding=enc)) from e


def nfc_text(text: str) -> str:
    """NFC-normalise (Windows-1258 and some Mac tools give decomposed tone marks)."""
    return unicodedata.normalize("NFC", text)


def legacy_encoding(text: str) -> str | None:
    """Name the legacy encoding ``text`` seems typed in ("TCVN3 (ABC)", "VNI"), or None.

    Also recognises UTF-8 that was decoded as Windows-1252 somewhere on its way
    ("NhÃ  mÃ¡y"), reported as "UTF-8 read as Windows-1252".
    """
    if not text or text.isascii():
        return None
    if MOJIBAKE_RE.search(text):
        return "UTF-8 read as Windows-1252"
    if TCVN3_RE.search(text):
        return "TCVN3 (ABC)"
    if VNI_RE.search(text):
        return "VNI"
    return None


def legacy_hint(encoding: str) -> Msg:
    """How to fix text in ``encoding``."""
    if encoding.startswith("UTF-8"):
        return Msg("imp_double_encoded_hint")
    return Msg(UNIKEY_HINT, enc="TCVN3 (ABC)" if encoding.startswith("TCVN3") else "VNI Windows")


def read_text_rows(path, data: bytes | None = None) -> tuple[list[list[str]], str]:
    """Rows of cells of a CSV/TSV/TXT file, decoded and NFC-normalised; returns (rows, encoding).

    The delimiter is whichever of tab, semicolon and comma the header line has most of
    (Excel's "Unicode text" is tab-separated; Vietnamese-locale Excel often writes ';').
    """
    from pathlib import Path

    data = Path(path).read_bytes() if data is None else data
    text, enc = decode(data, str(path))
    first = text.split("\n", 1)[0]
    delim = max(("\t", ";", ","), key=first.count)
    rows, _lines = parse_csv(text, path, delim, blank=True)  # a TableError on broken quoting
    return [[c.strip() for c in r] for r in rows], enc


def number_text(x: float) -> str:
    """A number of a workbook or GIS file as text that reads back as that number, never as a
    Vietnamese thousands group: 1.5 -> '1.5', 12.0 -> '12', but 1.125 -> '1.1250' (not
    '1.125', which a person may have typed for one thousand one hundred and twenty-five)."""
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    text = repr(x)
    return text + "0" if re.fullmatch(r"-?[1-9]\d{0,2}\.\d{3}", text) else text


def xlsx_value(v) -> str:
    """A spreadsheet cell as text: 12.0 -> '12', dates ISO, booleans true/false, None ''."""
    import datetime as dt

    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return number_text(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return nfc_text(str(v)).strip()


def read_xlsx_rows(path) -> tuple[list[list[str]], str]:
    """Rows of the first worksheet of an .xlsx file, formulas kept as their text ('=…')."""
    return read_xlsx_sheets(path)[0][1], "xlsx"


def read_xlsx_sheets(path) -> list[tuple[str, list[list[str]]]]:
    """(title, rows) of every worksheet of an .xlsx file, formulas kept as their text ('=…')."""
    import warnings

    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # openpyxl: styles, data validation
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        return [(ws.title, [[xlsx_value(v) for v in row] for row in ws.iter_rows(values_only=True)])
                for ws in wb.worksheets]
    finally:
        wb.close()
