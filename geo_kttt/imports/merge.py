"""Import site updates from officers' files into a layer (``geo-kttt import``).

Rows are read by :mod:`geo_kttt.imports.source`, coordinates converted with the pinned
VN-2000 operation of :mod:`geo_kttt.imports.crs`, records merged by stable id (or by name and
commune, with a warning), and the merged layer validated by
:func:`geo_kttt.validate.validate_layer`. Nothing is written unless every row passes
(or ``--skip-invalid``: good rows written, bad rows saved to a reject file). Each
change is logged in ``layers/changes.csv``. See docs/import.md.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from .. import io
from ..catalog import COLUMNS, FIELDS, CatalogError, Layer, load_catalog
from ..i18n import Codes, Msg, say, t
from ..sites import Places
from ..text import fold, safe_cell, slug
from ..validate import Problem, cell_problem, validate_layer
from . import crs as crsmod
from .encodings import legacy_encoding, legacy_hint
from .plain import AdminNames, complete, new_site_defaults
from .source import MAX_MB, ImportFailed, Source, column_name, coordinates, normalise, read_sources
from .split import split_layers

CHANGES_FILE = "changes.csv"
CHANGE_COLUMNS = ["date", "layer", "id", "action", "field", "old", "new", "source",
                  "proposed_by", "approved_by", "evidence", "proposal"]  # the last four: browser proposals

# --- checking rows ---------------------------------------------------------------------------

@dataclass
class Checked:
    """Rows turned into records, with the problems found on the way."""

    records: list[dict]
    problems: list[Problem]
    bad: set = field(default_factory=set)  # indexes into src.rows


def _problem(src, i, sid, column, msg, severity="error", fix=None, **params) -> Problem:
    """A problem of row ``i`` of the file: the string table's key ``msg`` (and ``msg_fix``)
    filled with ``params``, or a ready :class:`~geo_kttt.i18n.Msg` with its ``fix``."""
    if fix is None:
        msg, fix = Msg(msg, **params), Msg(f"{msg}_fix", **params)
    return Problem(severity, src.name, src.rownums[i] if i is not None else None, sid, column, msg, fix)


def check_rows(src: Source, layer: Layer, admin, crs: str | None = None) -> tuple[Checked, list[str]]:
    """Per-cell and per-row checks that need the import file itself; returns (Checked, warnings).

    Names become codes, units the layer's (converted), figures plain numbers
    (:func:`geo_kttt.imports.plain.complete`).
    """
    problems, bad, warnings = [], set(), list(src.notes)

    def add(i, column, key, **params):
        sid = src.rows[i][src.colmap["id"]] if "id" in src.colmap else ""
        problems.append(_problem(src, i, sid, column, key, **params))
        bad.add(i)

    for i, row in enumerate(src.rows):
        for j, v in enumerate(row):
            if (issue := cell_problem(v)):
                add(i, src.header[j], f"val_{issue[0]}", **issue[1])
            elif (enc := legacy_encoding(v)):
                add(i, src.header[j], "imp_legacy", value=v[:60], encoding=enc, hint=legacy_hint(enc))
    lon, lat = coordinates(src, crs, admin.province, add, warnings.append)
    names = AdminNames(admin)
    records, seen = [], {}
    for i, row in enumerate(src.rows):
        rec = {f: normalise(f, row[j], layer) if f not in ("capacity", "capacity_max") else row[j].strip()
               for f, j in src.colmap.items() if f in FIELDS}
        if {"lon", "lat"} <= set(src.colmap) or {"x", "y"} <= set(src.colmap) or src.xy is not None:
            rec["lon"], rec["lat"] = lon[i], lat[i]
        extra = {k: row[src.colmap[k]].strip() for k in ("district", "commune") if k in src.colmap}
        extra["header_unit"] = src.header_units.get("capacity", "")
        rec, found, notes = complete(rec, extra, layer, names)
        for f, msg, fix in found:
            add(i, column_name(src, f), msg, fix=fix)
        warnings += [Msg("imp_row_note", row=src.rownums[i], note=n) for n in notes]
        sid = rec.get("id", "")
        if not sid and not rec.get("name_vi"):
            add(i, column_name(src, "id"), "imp_no_id_or_name")
        if sid and sid in seen:
            add(i, column_name(src, "id"), "imp_id_twice", id=sid, row=src.rownums[seen[sid]])
        seen.setdefault(sid, i)
        records.append(rec)
    unused = [h for j, h in enumerate(src.header) if j not in src.colmap.values() and h]
    if unused:
        warnings.append(Msg("imp_unused_columns", columns=Codes(unused)))
    return Checked(records, problems, bad), warnings


# --- merging, validating, writing ------------------------------------------------------------

@dataclass
class Plan:
    """What an import changes in a layer."""

    added: list = field(default_factory=list)
    changed: dict = field(default_factory=dict)  # id -> [(field, old, new)]
    unchanged: list = field(default_factory=list)
    missing: list = field(default_factory=list)  # in the layer, not in the file (kept)
    removed: list = field(default_factory=list)  # with remove_missing


def _same(name: str, old: str, new: str) -> bool:
    """Equal values: '210' and '210.0' are the same figure."""
    if old == new:
        return True
    if FIELDS.get(name, ("str",))[0] in ("float", "int") and old and new:
        try:
            return float(old) == float(new)
        except ValueError:
            return False
    return False


def merge(existing: pd.DataFrame, records: dict, remove_missing: bool, warn, fill=None):
    """Merge ``records`` {row index: record} into ``existing``; returns (frame, origin, plan).

    An empty cell in the file keeps the stored value, and so does the same figure written
    another way ('210.0'). ``origin`` maps id -> row index. ``warn(row index, message,
    is_error=False, column=None, fix=None)`` receives the notes on matching;
    ``fill(record, is_new, row index)`` completes a merged record (defaults, positions).
    """
    old = {r["id"]: {c: r.get(c, "") for c in COLUMNS} for r in existing.to_dict("records")}
    by_name = {(fold(r["name_vi"]), r["commune_code"]): sid for sid, r in old.items()}
    new, origin = {k: dict(v) for k, v in old.items()}, {}
    for i, rec in records.items():
        sid = rec.get("id") or by_name.get((fold(rec.get("name_vi", "")), rec.get("commune_code", "")))
        if not rec.get("id"):
            if sid:  # matched by folded name: keep the stored spelling
                rec = {k: v for k, v in rec.items() if k != "name_vi"}
            else:
                sid = _new_id(rec.get("name_vi", ""), new)
            warn(i, Msg("imp_matched_by_name" if sid in old else "imp_new_id", id=sid))
        if sid in origin:
            warn(i, Msg("imp_same_site", id=sid), True)
            continue
        base = new.get(sid, dict.fromkeys(COLUMNS, ""))
        merged = {**base, **{k: v for k, v in rec.items() if v != "" and not _same(k, base.get(k, ""), v)},
                  "id": sid}
        new[sid] = fill(merged, sid not in old, i) if fill else merged
        origin[sid] = i
    plan = Plan(missing=sorted(set(old) - set(origin)))
    if remove_missing:
        plan.removed, plan.missing = plan.missing, []
        for sid in plan.removed:
            del new[sid]
    for sid in sorted(origin):
        if sid not in old:
            plan.added.append(sid)
        elif diff := [(c, old[sid][c], new[sid][c]) for c in COLUMNS if old[sid][c] != new[sid][c]]:
            plan.changed[sid] = diff
        else:
            plan.unchanged.append(sid)
    frame = pd.DataFrame(list(new.values()), columns=COLUMNS).sort_values("id").reset_index(drop=True)
    return frame, origin, plan


def _new_id(name: str, taken) -> str:
    base = slug(name)[:40].strip("-") or "site"
    sid, n = base, 2
    while sid in taken:
        sid, n = f"{base}-{n}", n + 1
    return sid


def _validate(layer, frame, origin, src, admin, layer_path, other_ids):
    """validate_layer on the merged frame, problems on imported rows re-pointed at the file."""
    _gdf, found = validate_layer(layer, frame, admin, str(layer_path))
    out = []
    for p in found:
        sid = frame.id.iloc[p.row - 1] if p.row else ""
        if sid not in origin:
            out.append(p)
            continue
        i = origin[sid]
        fields = [f for f in p.field.split("/") if f in FIELDS]
        value = "/".join(str(frame.at[p.row - 1, f]) for f in fields)
        msg = p.message if not value or value in p.message else Msg("val_with_value", message=p.message,
                                                                      value=value)
        column = "/".join(src.header[src.colmap[f]] if f in src.colmap else f"{f} (not in file)"
                          for f in fields) or p.field
        out.append(replace(p, file=src.name, row=src.rownums[i], field=column, message=msg))
    for sid, i in origin.items():
        if sid in other_ids:
            out.append(_problem(src, i, sid, "id", "imp_id_in_other_layer", id=sid, layer=other_ids[sid]))
    return out


@dataclass
class Result:
    """The outcome of :func:`run_import`."""

    source: Source | None
    problems: list
    warnings: list
    plan: Plan | None = None
    rejected: list = field(default_factory=list)  # spreadsheet row numbers
    written: bool = False
    reject_file: Path | None = None
    layer: str = ""


def run_import(path, layer_id: str, layers_dir, admin, crs=None, dry_run=False, skip_invalid=False,
               reject_path=None, remove_missing=False, today: str | None = None,
               max_mb: float = MAX_MB, lang: str = "vi") -> Result:
    """Import ``path`` into layer ``layer_id`` of ``layers_dir``.

    Parameters
    ----------
    path : path-like
        The officer's file (or a Shapefile folder).
    layer_id : str
    layers_dir : path-like
    admin : AdminUnits
    crs : str, optional
        CRS of the coordinates when the file does not say (e.g. ``EPSG:9208``).
    dry_run : bool
        Compute the plan; write nothing.
    skip_invalid : bool
        Write the good rows; save bad rows to ``reject_path`` (default: beside the input).
    remove_missing : bool
        Remove layer records that are not in the file (default: keep them).
    today : str, optional
        Date for the changelog (ISO); defaults to today's UTC date.
    max_mb : float
        Largest file accepted, in MB.
    lang : {'vi', 'en'}
        The language of the reject file (the problems themselves speak any, see ``Problem.text``).

    Returns
    -------
    Result

    Raises
    ------
    ImportFailed
        When the file as a whole cannot be used (format, damage, encoding, size, layer, CRS).
    """
    catalog, crs = prepare(layers_dir, crs)
    if layer_id not in catalog:
        raise ImportFailed(Msg("imp_unknown_layer", layer=layer_id, allowed=Codes(catalog)))
    parts, warnings = split_layers(read_sources(path, max_mb), catalog, layer_id)
    result = import_source(parts[layer_id], layer_id, catalog, layers_dir, admin, crs, dry_run,
                           skip_invalid, reject_path, remove_missing, today, lang)
    result.warnings[:0] = warnings
    return result


def prepare(layers_dir, crs: str | None):
    """(catalog, checked CRS) for an import into ``layers_dir``; ImportFailed when unusable."""
    try:
        return load_catalog(Path(layers_dir)), (crsmod.check(crs) if crs else None)
    except (CatalogError, crsmod.CrsProblem) as e:
        raise ImportFailed(e.args[0] if isinstance(e.args[0], Msg) else str(e)) from e


def import_source(src: Source, layer_id: str, catalog, layers_dir, admin, crs=None, dry_run=False,
                  skip_invalid=False, reject_path=None, remove_missing=False,
                  today: str | None = None, lang: str = "vi") -> Result:
    """Import the rows of ``src`` into layer ``layer_id`` (see :func:`run_import`)."""
    layers_dir, path = Path(layers_dir), Path(src.path)
    date = today or dt.datetime.now(dt.UTC).date().isoformat()
    checked, warnings = check_rows(src, catalog[layer_id], admin, crs)
    layer_path = layers_dir / f"{layer_id}.csv"
    existing = io.read_layer_file(layer_path) if layer_path.is_file() else pd.DataFrame(columns=COLUMNS)
    other_ids = _other_ids(layers_dir, catalog, layer_id)
    problems, bad = list(checked.problems), set(checked.bad)
    ctx = (catalog[layer_id], existing, src, admin, layer_path, other_ids, remove_missing,
           f"{path.name} (geo-kttt import {date})")
    frame, plan, found, notes = _settle(ctx, checked.records, problems, bad, skip_invalid)
    warnings += [Msg("imp_row_note", row=src.rownums[i], note=m) for i, m, e, *_ in notes if not e]
    warnings += [Msg("imp_problem", problem=p) for p in found if p.severity == "warning"
                 and p.file == src.name]
    result = Result(src, problems, warnings, plan, sorted(src.rownums[i] for i in bad), layer=layer_id)
    if dry_run or (problems and not skip_invalid) or any(p.file != src.name for p in problems):
        return result
    if bad:
        result.reject_file = Path(reject_path) if reject_path else \
            path.with_name(path.name.removesuffix(path.suffix) + ".rejects.csv")
        _write_rejects(src, bad, problems, result.reject_file, lang)
    if plan.added or plan.changed or plan.removed:
        io.write_layer_file(frame, layer_path, COLUMNS)
        _log_changes(layers_dir, layer_id, plan, existing, frame, path.name, date)
        result.written = True
    return result


def _filler(layer: Layer, admin, source: str, records: dict, note):
    """``fill`` for :func:`merge`: reference points are not coordinates; new sites get defaults."""
    places = Places(admin)

    def fill(rec: dict, is_new: bool, i: int) -> dict:
        given = records[i]
        if rec["lon"] and rec["lat"] and rec["location_precision"] in ("", "commune", "district") \
                and places.is_reference(float(rec["lon"]), float(rec["lat"]), rec["commune_code"],
                                        rec["district_code"]):
            rec = {**rec, "lon": "", "lat": ""}  # the drawn point of an export, read back
        if is_new:
            rec, notes, question = new_site_defaults(rec, layer, source)
            for n in notes:
                note(i, n)
            if question:
                note(i, question, True, "kind", Msg("imp_which_kind_fix", example=next(iter(layer.kinds))))
        elif rec["lon"] and not given.get("location_precision") \
                and rec["location_precision"] in ("commune", "district"):
            note(i, Msg("imp_precision_raised", precision=rec["location_precision"]))
            rec = {**rec, "location_precision": "approximate"}
        return rec

    return fill


def _settle(ctx, records, problems, bad, skip_invalid):
    """Merge and validate; with skip_invalid drop failing rows until the rest passes.

    Appends to ``problems`` and ``bad`` in place; returns (frame, plan, last problems, notes).
    """
    layer, existing, src, admin, layer_path, other_ids, remove_missing, source = ctx
    notes, index = [], {n: i for i, n in enumerate(src.rownums)}

    def note(i, m, e=False, column="name_vi", fix=None):
        notes.append((i, m, e, column, fix or Msg("imp_one_row_fix")))

    for _attempt in range(5):
        notes.clear()
        keep = {i: r for i, r in enumerate(records) if i not in bad}
        frame, origin, plan = merge(existing, keep, remove_missing, note,
                                    _filler(layer, admin, source, keep, note))
        found = _validate(layer, frame, origin, src, admin, layer_path, other_ids)
        asked = {(src.rownums[i], column_name(src, column)) for i, _m, e, column, _f in notes if e}
        errors = [p for p in found if p.severity == "error"  # a question replaces "is empty"
                  and (p.row, p.field.removesuffix(" (not in file)")) not in asked]
        errors += [_problem(src, i, "", column_name(src, column), m, fix=fix)
                   for i, m, e, column, fix in notes if e]
        problems += errors
        rows = {index[p.row] for p in errors if p.file == src.name}
        bad |= rows
        if len(rows) < len(errors) or not errors or not skip_invalid:
            break
    return frame, plan, found, notes


def _other_ids(layers_dir: Path, catalog, layer_id: str) -> dict:
    out = {}
    for lid in catalog:
        p = layers_dir / f"{lid}.csv"
        if lid != layer_id and p.is_file():
            out.update(dict.fromkeys(io.read_layer_file(p).get("id", []), lid))
    return out


def _write_rejects(src: Source, bad: set, problems: list, dest: Path, lang: str = "vi") -> None:
    """Bad rows with their problems in ``lang``, as CSV in UTF-8 with BOM (opens right in Excel)."""
    why = {}
    for p in problems:
        why.setdefault(p.row, []).append(f"{p.field}: {say(p.message, lang)}. {t('val_fix', lang)}: "
                                         f"{say(p.fix, lang)}")
    with io.atomic_path(dest) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([t("imp_reject_row", lang), t("imp_reject_problems", lang), *src.header])
        for i in sorted(bad):
            n = src.rownums[i]
            w.writerow([n, safe_cell(" | ".join(why.get(n, []))), *(safe_cell(v) for v in src.rows[i])])


def _log_changes(layers_dir, layer_id, plan: Plan, existing, frame, source, date) -> None:
    name = dict(zip(frame.id, frame.name_vi, strict=True))
    old_name = dict(zip(existing.get("id", []), existing.get("name_vi", []), strict=True))
    rows = [[date, layer_id, sid, "added", "", "", name[sid], source] for sid in plan.added]
    rows += [[date, layer_id, sid, "changed", f, o, n, source]
             for sid, diff in sorted(plan.changed.items()) for f, o, n in diff]
    rows += [[date, layer_id, sid, "removed", "", old_name.get(sid, ""), "", source] for sid in plan.removed]
    append_changes(layers_dir, [dict(zip(CHANGE_COLUMNS, r, strict=False)) for r in rows])


def append_changes(layers_dir, rows: list[dict]) -> None:
    """Append ``rows`` (dicts of CHANGE_COLUMNS; missing ones empty) to ``layers/changes.csv``, atomically."""
    path = Path(layers_dir) / CHANGES_FILE
    old = io.read_table(path) if path.is_file() else pd.DataFrame(columns=CHANGE_COLUMNS)
    out = pd.concat([old.reindex(columns=CHANGE_COLUMNS), pd.DataFrame(rows).reindex(columns=CHANGE_COLUMNS)],
                    ignore_index=True).astype(object).fillna("")  # columns a row lacks: empty text
    with io.atomic_path(path) as tmp:
        out[CHANGE_COLUMNS].to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
