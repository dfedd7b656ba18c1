"""`geo-kttt validate|build|summary|admin import`: the atlas itself, from layer files to summaries."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..admin import import_boundaries, load_admin
from ..catalog import PRECISIONS, STATUSES
from ..i18n import number, number_span, percent, say, t
from ..maps.data import unit_label
from ..store import build, open_atlas
from ..summary import (
    MAIN_UNITS,
    capacity_groups,
    district_summary,
    flat_rows,
    new_commune_summary,
    reconcile,
)
from ..validate import validate_all
from .common import fmt_table, paths, ui_lang


def cmd_validate(args) -> int:
    layers, _ = paths(args)
    lang = ui_lang(args)
    _, frames, problems = validate_all(layers, load_admin(args.data_dir))
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    if args.format == "json":
        print(json.dumps([p.as_dict() for p in problems], ensure_ascii=False, indent=1))
    else:
        for p in errors:
            print(p.text(lang))
        if warnings:
            print("\n" + t("cli_warnings", lang).format(n=len(warnings)))
            for p in warnings:
                print(f"  {p.text(lang)}")
        n = sum(len(f) for f in frames.values())
        print("\n" + t("cli_validated", lang).format(errors=len(errors), warnings=len(warnings), sites=n,
                                                     layers=len(frames), folder=layers))
    return 1 if errors else 0


def cmd_build(args) -> int:
    layers, atlas = paths(args)
    lang = ui_lang(args)
    admin = load_admin(args.data_dir)
    warnings = build(layers, admin, atlas)  # a GeoPackage, or PostGIS for a postgresql:// URL
    for w in warnings:
        print(f"  {say(w, lang)}")
    print(t("cli_built", lang).format(atlas=atlas, n=len(warnings)))
    return 0


def cmd_summary(args) -> int:
    _, location = paths(args)
    atlas = open_atlas(location)
    catalog = atlas.catalog
    summary = district_summary(atlas) if args.by == "district" else new_commune_summary(atlas)
    if args.format == "json":
        print(json.dumps({"units": summary, "reported": reconcile(atlas)},
                         ensure_ascii=False, indent=1))
        return 0
    df = flat_rows(summary, catalog)
    if args.format == "csv":
        sys.stdout.write(df.to_csv(index=False))
        return 0
    lang = ui_lang(args)
    groups = capacity_groups(atlas.sites(), catalog)  # the columns flat_rows names by these keys
    caps = [k for k, c in groups.items() if c["unit"] in MAIN_UNITS and k in df.columns]
    df["verified_share"] = df["verified_share"].map(lambda v: percent(v, lang) if v == v else "")
    for c in caps:  # '12-15' (a range) or a number, written for the language
        df[c] = df[c].map(lambda v: number_span(*map(float, v.split("-")), lang) if isinstance(v, str)
                          else number(v, lang))
    df.loc[df.code == "total", ["code", "name"]] = ["", t("province_row", lang)]
    cols = ["code", "name", *catalog, *caps, "verified_share", "sites"]
    key = {lid: f"L{i}" for i, lid in enumerate(catalog, start=1)}  # layer titles are long: a legend

    def cap_head(k):
        g = groups[k]
        kind = catalog[g["layer"]].kinds[g["kind"]][lang] if g["kind"] else ""
        return f"{key[g['layer']]}{f' {kind}' if kind else ''} ({unit_label(catalog, g['unit'], lang)})"

    heads = [t("cli_code", lang), t("cli_district", lang), *key.values(), *map(cap_head, caps),
             t("cli_verified", lang), t("cli_sites", lang)]
    print(fmt_table(df, cols, lang, heads, total=True))
    print("; ".join(f"{key[lid]} = {layer.title[lang]}" for lid, layer in catalog.items()))
    print("\n" + t("cli_reconcile", lang))
    for r in reconcile(atlas):
        print("  " + _reconcile_line(r, catalog, lang))
    return 0


def _reconcile_line(r: dict, catalog: dict, lang: str) -> str:
    """One figure of the provincial report beside what the atlas has located, in ``lang``."""
    line = t("cli_located", lang).format(label=r[f"label_{lang}"], n=r["located"], m=r["reported_count"])
    if r["unit"]:
        line += t("cli_located_capacity", lang).format(
            n=number(r["located_capacity"] or 0, lang), m=number(r["reported_capacity"], lang),
            unit=unit_label(catalog, r["unit"], lang))
    where = ", ".join(t("cli_at_level", lang).format(n=n, level=PRECISIONS[p][lang].lower())
                      if p in ("commune", "district") else f"{n} {PRECISIONS.get(p, {}).get(lang, p).lower()}"
                      for p, n in r["precision"].items())
    statuses = ", ".join(STATUSES.get(s, {}).get(lang, s).lower() for s in r["located_status"])
    return line + t("cli_located_detail", lang).format(verified=r["verified"], where=where, statuses=statuses)


def cmd_admin_import(args) -> int:
    dest = import_boundaries(Path(args.file), args.level, args.data_dir, args.crs,
                             args.code_field, args.name_field, args.district_field)
    lang = ui_lang(args)
    print(t("cli_admin_imported", lang).format(file=args.file, dest=dest)
          + (t("cli_admin_points", lang) if args.level == "commune" else ""))
    return 0


def register(subparsers) -> None:
    """Add ``validate``, ``build``, ``summary`` and ``admin import``."""
    sub = subparsers
    v = sub.add_parser("validate", help="check the layer files")
    v.add_argument("--format", choices=["text", "json"], default="text")
    v.set_defaults(func=cmd_validate)
    sub.add_parser("build", help="validate and build the atlas").set_defaults(func=cmd_build)
    s = sub.add_parser("summary", help="per-district summary and report reconciliation")
    s.add_argument("--by", choices=["district", "new-commune"], default="district")
    s.add_argument("--format", choices=["table", "csv", "json"], default="table")
    s.set_defaults(func=cmd_summary)
    a = sub.add_parser("admin", help="administrative reference data")
    asub = a.add_subparsers(dest="admin_command", required=True)
    ai = asub.add_parser("import", help="import an official boundary file into --data-dir")
    ai.add_argument("file")
    ai.add_argument("--level", choices=["district", "commune"], required=True)
    ai.add_argument("--crs", help="CRS of the file when it has none, e.g. EPSG:9208")
    ai.add_argument("--code-field", default="code")
    ai.add_argument("--name-field", default="name")
    ai.add_argument("--district-field", default="district_code",
                    help="commune files: the column with the district's GSO code, e.g. MA_HUYEN")
    ai.set_defaults(func=cmd_admin_import)
