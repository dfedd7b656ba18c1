"""Interface strings in Vietnamese (default) and English.

Modules add their own strings with :func:`register`; templates call ``t("key")``.
"""

from __future__ import annotations

LANGS = ("vi", "en")
STRINGS: dict[str, dict[str, str]] = {}


def register(strings: dict[str, dict[str, str]]) -> None:
    """Add strings ``{key: {"vi": …, "en": …}}``; both languages are required."""
    for key, text in strings.items():
        missing = [lang for lang in LANGS if not text.get(lang)]
        if missing:
            raise ValueError(f"i18n string '{key}' lacks {missing}")
        STRINGS[key] = text


def t(key: str, lang: str = "vi") -> str:
    """The text of ``key`` in ``lang``; an unknown key raises so gaps are found in tests."""
    return STRINGS[key][lang]


register({
    "atlas_title": {"vi": "Bản đồ kinh tế tuần hoàn An Giang",
                    "en": "An Giang circular-economy atlas"},
    "not_found": {"vi": "Không tìm thấy", "en": "Not found"},
    "bad_request": {"vi": "Yêu cầu không hợp lệ", "en": "Bad request"},
})
