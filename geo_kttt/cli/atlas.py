"""`geo-kttt validate|build|summary|admin import`: the atlas itself, from layer files to summaries."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..admin import import_boundaries, load_admin
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
from .common import fmt_table, paths


def cmd_validate(args) -> int:
    layers, _ = paths(args)
    _, frames, problems = validate_all(layers, load_admin(args.data_dir))
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    if args.format == "json":
        print(json.dumps([p.as_dict() for p in problems], ensure_ascii=False, indent=1))
    else:
        for p in errors:
            print(p)
        if warnings:
            print(f"\n{len(warnings)} warning(s):")
            for p in warnings:
                print(f"  {p}")
        n = sum(len(f) for f in frames.values())
        print(f"\n{len(errors)} error(s), {len(warnings)} warning(s); "
              f"{n} sites in {len(frames)} layers checked in {layers}.")
    return 1 if errors else 0


def cmd_build(args) -> int:
    layers, atlas = paths(args)
    admin = load_admin(args.data_dir)
    warnings = build(layers, admin, atlas)  # a GeoPackage, or PostGIS for a postgresql:// URL
    for w in warnings:
        print(f"  {w}")
    print(f"Built atlas at {atlas} ({len(warnings)} warning(s)).")
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
    groups = capacity_groups(atlas.sites(), catalog)  # the columns flat_rows names by these keys
    caps = [k for k, c in groups.items() if c["unit"] in MAIN_UNITS and k in df.columns]
    df["verified_share"] = df["verified_share"].map(lambda v: f"{v:.0%}" if v == v else "")
    cols = ["code", "name", *catalog, *caps, "verified_share", "sites"]
    short = {c: c.split("_")[0] for c in cols[2:]}
    for k in caps:
        prefix = groups[k]["layer"].split("_")[0]
        kind = (groups[k]["kind"] or "").removeprefix(prefix + "_")
        short[k] = prefix + (f"/{kind}" if kind else "") + " " + groups[k]["unit"]
    shown = df[cols].rename(columns={**short, "verified_share": "verified"})
    print(fmt_table(shown, list(shown.columns)))
    print("\nReported in the provincial report vs located in the atlas:")
    for r in reconcile(atlas):
        line = f"  {r['label_en']}: located {r['located']} of {r['reported_count']} reported"
        if r["unit"]:
            line += f"; {r['located_capacity'] or 0:g} of {r['reported_capacity']:g} {r['unit']}"
        where = ", ".join(f"{n} at {p} level" if p in ("commune", "district") else f"{n} {p}"
                          for p, n in r["precision"].items())
        line += f" ({r['verified']} verified; {where}; status {', '.join(r['located_status'])})"
        print(line)
    return 0


def cmd_admin_import(args) -> int:
    dest = import_boundaries(Path(args.file), args.level, args.data_dir, args.crs,
                             args.code_field, args.name_field, args.district_field)
    print(f"Imported {args.file} as {dest}" + (" (and its derived commune reference points "
                                               "beside it)" if args.level == "commune" else ""))
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
