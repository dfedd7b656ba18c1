"""`geo-kttt` commands: thin over the core functions."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import settings
from .admin import DataMissing, import_boundaries, load_admin
from .catalog import CatalogError
from .io import TableError
from .store import AtlasMissing, build, open_atlas
from .summary import district_summary, flat_rows, new_commune_summary, reconcile
from .validate import ValidationFailed, validate_all


def _paths(args):
    layers = settings.path("LAYERS_DIR", args.layers_dir)
    atlas = args.database or settings.get("DATABASE_URL") or settings.path("ATLAS", args.atlas)
    return layers, atlas


def cmd_validate(args) -> int:
    layers, _ = _paths(args)
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
    layers, atlas = _paths(args)
    admin = load_admin(args.data_dir)
    if str(atlas).startswith(("postgresql://", "postgres://")):  # --database or GEO_KTTT_DATABASE_URL
        from .pgstore import build_postgis

        warnings = build_postgis(layers, admin, str(atlas))
    else:
        warnings = build(layers, admin, atlas)
    for w in warnings:
        print(f"  {w}")
    print(f"Built atlas at {atlas} ({len(warnings)} warning(s)).")
    return 0


def _fmt_table(df, columns) -> str:
    cells = [[str(c) for c in columns]] + [[_cell(r[c]) for c in columns] for _, r in df.iterrows()]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in
                       enumerate(zip(row, widths, strict=True))) for row in cells]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    return "\n".join(lines)


def _cell(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def cmd_summary(args) -> int:
    _, location = _paths(args)
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
    caps = [c for c in df.columns if ":" in c and c.split(":")[1] in ("MWp", "t/day", "ha")]
    df["verified_share"] = df["verified_share"].map(lambda v: f"{v:.0%}" if v == v else "")
    cols = ["code", "name", *catalog, *caps, "verified_share", "sites"]
    short = {c: c.split("_")[0] + (" " + c.split(":")[1] if ":" in c else "") for c in cols[2:]}
    shown = df[cols].rename(columns={**short, "verified_share": "verified"})
    print(_fmt_table(shown, list(shown.columns)))
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
    dest = import_boundaries(Path(args.file), args.level, Path(args.data_dir or "."), args.crs,
                             args.code_field, args.name_field)
    print(f"Imported {args.file} as {dest}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="geo-kttt", description=__doc__)
    p.add_argument("--data-dir", help="reference data folder (GEO_KTTT_DATA_DIR)")
    p.add_argument("--layers-dir", help="layer definitions and data (GEO_KTTT_LAYERS_DIR)")
    p.add_argument("--atlas", help="built atlas GeoPackage (GEO_KTTT_ATLAS)")
    p.add_argument("--database", help="postgresql:// URL of a PostGIS atlas (GEO_KTTT_DATABASE_URL)")
    sub = p.add_subparsers(dest="command", required=True)
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
    ai.set_defaults(func=cmd_admin_import)
    for register in _extensions():
        register(sub)
    return p


def _extensions():
    """Commands of the other modules (serve, export, coverage, import), when present."""
    import importlib

    for name in ("geo_kttt.server", "geo_kttt.export", "geo_kttt.coverage", "geo_kttt.importer"):
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        if hasattr(mod, "register_cli"):
            yield mod.register_cli


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (DataMissing, AtlasMissing, CatalogError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ValidationFailed as e:
        print(f"error: {e}\nThe previous atlas was left unchanged.", file=sys.stderr)
        return 1
    except TableError as e:  # a reference file (data folder) that cannot be read
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
