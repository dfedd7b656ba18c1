"""The interface's one string table: loaded once, no key twice, every key the code uses exists."""

from __future__ import annotations

import ast
import re

import pytest
from conftest import ROOT

from geo_kttt import i18n
from geo_kttt.i18n import STRINGS, TABLE, StringTableError, load_strings, t

PACKAGE = ROOT / "geo_kttt"
# t("key") / t('key', lang) in code and templates, and the sheets' _l("key", lang)
KEY_CALL = re.compile(r"""(?<![\w.])(?:t|_l|export_t)\(\s*(["'])([A-Za-z0-9_.\-]+)\1\s*(~|\+)?""")


def _write(tmp_path, text):
    path = tmp_path / "strings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_table_is_one_file_in_the_package():
    assert TABLE == PACKAGE / "locale" / "strings.toml" and TABLE.is_file()
    assert load_strings(TABLE) == STRINGS and len(STRINGS) > 200
    assert not hasattr(i18n, "register")


def test_a_key_twice_in_one_section_is_an_error(tmp_path):
    path = _write(tmp_path, '[a]\nyes = { vi = "Có", en = "Yes" }\nyes = { vi = "có", en = "yes" }\n')
    with pytest.raises(StringTableError, match="only once"):
        load_strings(path)


def test_a_key_in_two_sections_is_an_error(tmp_path):
    path = _write(tmp_path, '[map]\nyes = { vi = "Có", en = "Yes" }\n'
                            '[report]\nyes = { vi = "có", en = "yes" }\n')
    with pytest.raises(StringTableError, match=r"'yes' is defined twice, in \[map\] and \[report\]"):
        load_strings(path)


def test_a_string_needs_both_languages(tmp_path):
    with pytest.raises(StringTableError, match="lacks"):
        load_strings(_write(tmp_path, '[a]\nonly_vi = { vi = "Có" }\n'))
    with pytest.raises(StringTableError, match="lacks"):
        load_strings(_write(tmp_path, '[a]\nempty = { vi = "", en = "x" }\n'))


def test_yes_and_no_have_one_text():
    assert (t("yes"), t("yes", "en"), t("no"), t("no", "en")) == ("Có", "Yes", "Chưa", "No")


def _used_keys():
    files = [p for p in PACKAGE.rglob("*") if p.suffix in (".py", ".html", ".js") and "vendor" not in p.parts]
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for m in KEY_CALL.finditer(line):
                yield m.group(2), bool(m.group(3)), f"{path.relative_to(ROOT)}:{n}"


def test_every_key_used_in_code_and_templates_exists():
    used = list(_used_keys())
    assert len(used) > 150, "the scan finds the keys the code uses"
    # t('state_' ~ c.state): a prefix that some keys must start with
    missing = [f"{key} ({where})" for key, prefix, where in used
               if not (any(k.startswith(key) for k in STRINGS) if prefix else key in STRINGS)]
    assert not missing, f"t() keys missing from {TABLE.name}: {missing}"


def test_no_module_registers_strings_of_its_own():
    users = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py")
             if re.search(r"\bregister\(\{", p.read_text(encoding="utf-8"))]
    assert not users


@pytest.mark.parametrize("value, vi, en", [(1987, "1.987", "1,987"), (698.31, "698,31", "698.31"),
                                           (1300, "1.300", "1,300"), (0.5, "0,5", "0.5"), (None, "", "")])
def test_numbers_follow_the_language(value, vi, en):
    assert (i18n.number(value, "vi"), i18n.number(value, "en")) == (vi, en)


def test_fixed_decimals_ranges_percentages_and_dates():
    assert i18n.number(29.14, "vi", 1) == "29,1" and i18n.number(29.14, "en", 1) == "29.1"
    assert i18n.number(105.335581, "vi", max_places=6) == "105,335581"
    assert i18n.number_span(1987, 1990, "vi") == "1.987–1.990" and i18n.number_span(12, 12, "en") == "12"
    assert i18n.percent(0.482, "vi") == "48%"
    assert i18n.date("2026-12-02", "vi") == "02/12/2026" and i18n.date("2026-12-02", "en") == "2 Dec 2026"
    assert i18n.date("2026-12-02T08:00:00+00:00", "vi") == "02/12/2026" and i18n.date("soon", "vi") == "soon"


def test_a_message_is_english_text_and_speaks_either_language():
    m = i18n.Msg("err_unknown_values", name=i18n.Code("status"), bad=i18n.Codes(["done"]),
                 allowed=i18n.Codes(["planned", "pilot"]))
    assert m == "status: unknown value(s) done; allowed: planned, pilot" and isinstance(m, str)
    assert m.text("vi") == "status: không có giá trị done; dùng một trong: planned, pilot"
    assert "<code>planned</code>, <code>pilot</code>" in m.html("vi")
    assert i18n.say(ValueError(m), "vi") == m.text("vi")
    import copy
    import pickle
    assert copy.deepcopy(m).text("vi") == pickle.loads(pickle.dumps(m)).text("vi") == m.text("vi")


def _calls(path, names):
    """(function name, call) for calls of ``names`` in ``path``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
            yield node.func.id, node


def _text(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def test_every_message_key_and_its_fix_exist():
    """Msg("key"), the validator's add/problem(…, "key") (val_key, val_key_fix) and the importer's
    add/_problem(…, "imp_key") (imp_key, imp_key_fix): each in the table."""
    missing = []
    for path in PACKAGE.rglob("*.py"):
        for _, call in _calls(path, {"Msg"}):
            key = _text(call.args[0]) if call.args else None
            if key is not None and key not in STRINGS:
                missing.append(f"{key} ({path.name}:{call.lineno})")
    rows = {"validate.py": ({"add": 4, "problem": 5}, "val_{}"),
            "merge.py": ({"add": 2, "_problem": 4}, "{}"), "source.py": ({"add": 2}, "{}")}
    found = 0
    for name, (positions, pattern) in rows.items():
        path = next(PACKAGE.rglob(name))
        for func, call in _calls(path, set(positions)):
            key = _text(call.args[positions[func]]) if len(call.args) > positions[func] else None
            if key is not None:
                found += 1
                key = pattern.format(key)
                missing += [f"{k} ({name}:{call.lineno})" for k in (key, key + "_fix") if k not in STRINGS]
    assert found >= 30 and not missing, missing
