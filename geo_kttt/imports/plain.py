"""From what an officer writes to the layer's fields: names, units, numbers and safe defaults.

An officer's list says "Huyện Tịnh Biên", "xã An Hảo", "300 tấn/ngày" or "5.000 kWp"; the
layer files hold GSO codes, the layer's unit codes and plain numbers. This module turns the
one into the other and says what it did, or asks when it cannot know:

* districts and communes by code or by name (with or without "huyện", "xã", "TP." …);
* units by their code or their Vietnamese or English label, and converted when they measure
  the same thing as the layer's unit (kWp -> MWp, kg/ngày -> t/day; a layer unit declares
  what it measures with ``base``, e.g. ``t_raw/day`` is a ``t/day``);
* figures with a unit or a range in the cell ("12–15 tấn/ngày"), decimal commas, and
  thousands separators only where they cannot be misread;
* defaults for a new site where they claim nothing (:func:`new_site_defaults`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..admin import AdminUnits
from ..catalog import Layer
from ..i18n import Codes, Msg
from ..text import fold

# General units as people write them: code -> (what it measures, factor to that measure's first
# unit, spellings). Spellings are compared folded (no case, no diacritics, no spaces).
UNITS = {
    "t/day": ("mass/day", 1.0, ("t/day", "t/d", "tpd", "tan/ngay", "tan/ngay dem", "tan/ngd",
                                "tonnes/day", "tons/day", "tonne/day", "ton/day")),
    "kg/day": ("mass/day", 0.001, ("kg/day", "kg/ngay", "kg/d")),
    "MWp": ("peak power", 1.0, ("mwp", "mw peak")),
    "kWp": ("peak power", 0.001, ("kwp", "kw peak")),
    "ha": ("area", 1.0, ("ha", "hecta", "hec ta", "hectare", "hectares")),
    "m2": ("area", 0.0001, ("m2", "m²", "met vuong", "square metres")),
    "km2": ("area", 100.0, ("km2", "km²", "ki lo met vuong")),
    "households": ("households", 1.0, ("ho", "ho gia dinh", "households", "household")),
    "members": ("members", 1.0, ("thanh vien", "members", "member")),
    "dwellings": ("dwellings", 1.0, ("can", "can ho", "dwellings", "dwelling")),
}
DISTRICT_PREFIXES = ("huyen", "thi xa", "thanh pho", "tp", "tx", "quan", "h")
COMMUNE_PREFIXES = ("xa", "phuong", "thi tran", "tt", "p", "x")
_NUMBER = r"\d[\d.,\s]*"
_FIGURE = re.compile(rf"^\s*({_NUMBER})(?:\s*(?:-|–|—|đến|to)\s*({_NUMBER}))?\s*(.*?)\s*$")


def _unit_key(text: str) -> str:
    return re.sub(r"\s+", "", fold(text).replace("²", "2"))


def _strip(text: str, prefixes) -> str:
    key = re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()
    for p in sorted(prefixes, key=len, reverse=True):
        if key.startswith(p + " "):
            return key[len(p) + 1:]
    return key


@dataclass
class Unit:
    """How a unit written in a file maps to the layer: its code there and the factor."""

    code: str
    factor: float
    written: str


def _measure(code: str, label: dict) -> tuple[str, float] | None:
    """What a layer unit measures, and its factor: from ``base`` or from its code or labels."""
    for text in (label.get("base", ""), code, label.get("en", ""), label.get("vi", "")):
        general = general_unit(text) if text else None
        if general:
            return UNITS[general][0], UNITS[general][1]
    return None


def general_unit(text: str) -> str | None:
    """The code in :data:`UNITS` of a unit as written ('tấn/ngày' -> 't/day'), or None."""
    key = _unit_key(text)
    for code, (_m, _f, spellings) in UNITS.items():
        if key == _unit_key(code) or key in (_unit_key(s) for s in spellings):
            return code
    return None


def layer_unit(text: str, layer: Layer) -> Unit:
    """The layer's unit for ``text``: its code or label (factor 1) or a convertible unit.

    Raises
    ------
    ValueError
        Naming the layer's units, for a unit that cannot be converted to one of them.
    """
    key = _unit_key(text)
    for code, label in layer.units.items():
        if key in (_unit_key(code), _unit_key(label["vi"]), _unit_key(label["en"])):
            return Unit(code, 1.0, text)
    general = general_unit(text)
    if general:
        measure, factor = UNITS[general][0], UNITS[general][1]
        same = [(code, m[1]) for code, label in layer.units.items()
                if (m := _measure(code, label)) and m[0] == measure]
        if len(same) == 1:
            return Unit(same[0][0], factor / same[0][1], text)
        if len(same) > 1:
            raise ValueError(Msg("imp_unit_ambiguous", value=text, units=Codes(c for c, _ in same),
                                 layer=layer.id))
    if not layer.units:
        raise ValueError(Msg("imp_unit_none", value=text, layer=layer.id))
    raise ValueError(Msg("imp_unit_unknown", value=text, layer=layer.id, units=Codes(
        f"{code} ({label['vi']} / {label['en']})" for code, label in layer.units.items())))


def figure(text: str) -> tuple[str, str, str]:
    """Split a capacity cell into (number, upper bound, unit text): '12–15 tấn/ngày'.

    Raises
    ------
    ValueError
        For a number that could be read two ways ('1.000': one thousand, or one).
    """
    m = _FIGURE.match(text)
    if not m:
        return text, "", ""
    low, high, unit = m.group(1), m.group(2) or "", m.group(3)
    return number(low), number(high) if high else "", unit


def number(text: str) -> str:
    """A number as people write it -> plain text ('12,5' -> '12.5', '1.000.000' -> '1000000').

    A single group of three digits after one separator ('1.000', '2,500') is one thousand in
    Vietnamese and one (or two and a half) in English: refused. (Number cells of a workbook
    never look so: :func:`geo_kttt.imports.encodings.number_text`.)

    Raises
    ------
    ValueError
        With the reason, for text that is not a number or is ambiguous.
    """
    text = text.strip()
    t = re.sub(r"(?<=\d)\s+(?=\d{3}\b)", "", text)
    if re.fullmatch(r"-?\d+", t):
        return t
    if re.fullmatch(r"-?[1-9]\d{0,2}[.,]\d{3}", t):
        raise ValueError(Msg("imp_number_ambiguous", value=text, a=t.replace(",", "").replace(".", ""),
                             b=t.replace(",", ".")))
    for thousands, decimal in ((".", ","), (",", ".")):
        pattern = rf"-?\d{{1,3}}(?:\{thousands}\d{{3}})+(?:\{decimal}\d+)?"
        if re.fullmatch(pattern, t) and (t.count(thousands) > 1 or decimal in t):
            return _plain(float(t.replace(thousands, "").replace(decimal, ".")))
    if re.fullmatch(r"-?\d+[.,]\d+", t):
        return _plain(float(t.replace(",", ".")))
    raise ValueError(Msg("imp_not_number", value=text))


def _plain(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(round(x, 6))


class AdminNames:
    """District and commune codes from what a file gives: a code or a name."""

    def __init__(self, admin: AdminUnits):
        d = admin.districts
        self.districts = set(d.code)
        self.district_names = {}
        for code, name, full in zip(d.code, d["name"], d.full_name, strict=True):
            for text in (name, full):
                self.district_names[_strip(text, DISTRICT_PREFIXES)] = code
        c = admin.commune_points
        self.communes = dict(zip(c.code, c.district_code, strict=True))
        self.commune_names: dict[str, list[tuple[str, str]]] = {}
        for code, name, full, dist in zip(c.code, c["name"], c.full_name, c.district_code, strict=True):
            for text in {_strip(name, COMMUNE_PREFIXES), _strip(full, COMMUNE_PREFIXES)}:
                self.commune_names.setdefault(text, []).append((code, dist))

    def district(self, text: str) -> str:
        """The GSO code of a district written as its code or name; ValueError when unknown."""
        t = text.strip().removesuffix(".0")
        if t in self.districts:
            return t
        code = self.district_names.get(_strip(t, DISTRICT_PREFIXES))
        if code is None:
            raise ValueError(Msg("imp_no_district", value=text))
        return code

    def names(self, key: str, text: str, code: str) -> bool:
        """Whether ``text`` is a name of the district or commune ``code`` (two communes of a
        district may share a name: beside its code, the name only confirms it)."""
        if key == "district":
            return self.district_names.get(_strip(text, DISTRICT_PREFIXES)) == code
        return any(c == code for c, _ in self.commune_names.get(_strip(text, COMMUNE_PREFIXES), []))

    def commune(self, text: str, district: str | None) -> str:
        """The GSO code of a commune written as its code or name (in ``district`` when known)."""
        t = text.strip().removesuffix(".0")
        if t in self.communes:
            return t
        hits = self.commune_names.get(_strip(t, COMMUNE_PREFIXES), [])
        if district:
            hits = [h for h in hits if h[1] == district]
        if len(hits) == 1:
            return hits[0][0]
        if not hits:
            raise ValueError(Msg("imp_no_commune_in", value=text, district=district) if district
                             else Msg("imp_no_commune", value=text))
        raise ValueError(Msg("imp_communes_alike", n=len(hits), value=text,
                             districts=Codes(sorted(h[1] for h in hits))))


def complete(rec: dict, extra: dict, layer: Layer, names: AdminNames):
    """Codes, numbers and units of one row as the layer stores them.

    Parameters
    ----------
    rec : dict
        The row's field values (``district_code``, ``capacity``, ``capacity_unit`` …).
    extra : dict
        What the row gives besides fields: ``district`` and ``commune`` (a name or a code) and
        ``header_unit`` (the unit of a heading such as "Công suất (MWp)").
    layer : Layer
    names : AdminNames

    Returns
    -------
    (record, problems, notes)
        ``problems`` as (field, message, fix) and ``notes``: :class:`~geo_kttt.i18n.Msg`.
    """
    out, problems, notes = dict(rec), [], []
    _places(out, extra, names, problems)
    _capacity(out, extra.get("header_unit", ""), layer, notes, problems)
    return out, problems, notes


def _places(out: dict, extra: dict, names: AdminNames, problems: list) -> None:
    """district_code and commune_code from codes or names, in the code columns or beside them."""
    for field, key in (("district_code", "district"), ("commune_code", "commune")):
        given, other = out.get(field, ""), extra.get(key, "")
        try:
            code = given if not given or given.isdigit() else _code(names, key, given, out)
            named = code if code and other and names.names(key, other, code) else \
                (_code(names, key, other, out) if other else "")
        except ValueError as e:
            problems.append((field if given else key, e.args[0], Msg(f"imp_give_{key}")))
            continue
        if code and named and code != named:
            problems.append((field, Msg("imp_codes_disagree", field=field, code=code, key=key, other=other,
                                        named=named), Msg(f"imp_fix_two_{key}_columns")))
            continue
        out[field] = code or named
    commune = out.get("commune_code", "")
    if commune and not out.get("district_code") and commune in names.communes:
        out["district_code"] = names.communes[commune]


def _code(names: AdminNames, key: str, text: str, out: dict) -> str:
    if key == "district":
        return names.district(text)
    return names.commune(text, out.get("district_code") or None)


FIX_UNIT = Msg("imp_fix_unit")
FIX_NUMBER = Msg("imp_fix_number")


def _capacity(out: dict, header_unit: str, layer: Layer, notes: list, problems: list) -> None:
    cap = out.get("capacity", "")
    if not cap:
        return
    try:
        low, high, cell_unit = figure(cap)
        top = number(out["capacity_max"]) if out.get("capacity_max") else high
    except ValueError as e:
        problems.append(("capacity", e.args[0], FIX_NUMBER))
        return
    given = out.get("capacity_unit", "")
    if cell_unit and given and _unit_key(cell_unit) != _unit_key(given):
        problems.append(("capacity_unit", Msg("imp_units_disagree", value=cap, unit=cell_unit, given=given),
                         FIX_UNIT))
        return
    written = given or cell_unit or header_unit
    if written:
        try:
            unit = layer_unit(written, layer)
        except ValueError as e:
            problems.append(("capacity_unit", e.args[0], FIX_UNIT))
            return
        if unit.factor != 1:
            new = [_plain(float(v) * unit.factor) if v else "" for v in (low, top)]
            notes.append(Msg("imp_converted", value=cap if not given else f"{cap} {given}",
                             result="–".join(v for v in new if v), unit=unit.code))
            low, top = new
        out["capacity_unit"] = unit.code
    out["capacity"], out["capacity_max"] = low, top or out.get("capacity_max", "")


def new_site_defaults(rec: dict, layer: Layer, source: str) -> tuple[dict, list[Msg], Msg | None]:
    """Fill what a new site may safely leave out; returns (record, notes, question).

    ``in_report`` and ``verified`` default to false (they claim nothing); ``kind`` when the
    layer has one; ``name_en`` is the Vietnamese name; ``location_precision`` follows what is
    known (a coordinate: approximate; else commune or district); ``sources`` is the file.
    ``question`` asks for the kind when the layer has several.
    """
    out, notes, question = dict(rec), [], None
    for field, value in (("in_report", "false"), ("verified", "false")):
        if not out.get(field):
            out[field] = value
    if not out.get("kind"):
        if len(layer.kinds) == 1:
            out["kind"] = next(iter(layer.kinds))
        else:
            question = Msg("imp_which_kind", layer=layer.id,
                           kinds=Codes(f"{k} ({v['vi']} / {v['en']})" for k, v in layer.kinds.items()))
    if not out.get("name_en") and out.get("name_vi"):
        out["name_en"] = out["name_vi"]
        notes.append(Msg("imp_default_name_en"))
    if not out.get("sources"):
        out["sources"] = source
        notes.append(Msg("imp_default_sources", source=source))
    if not out.get("location_precision"):
        out["location_precision"] = "approximate" if out.get("lon") else \
            ("commune" if out.get("commune_code") else "district")
        if out.get("lon"):
            notes.append(Msg("imp_default_precision"))
    return out, notes, question
