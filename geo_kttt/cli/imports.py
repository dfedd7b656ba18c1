"""`geo-kttt import FILE [--layer ID]`: officers' files into a layer (or into each layer its
rows name), with a preview and a log."""

from __future__ import annotations

from ..admin import load_admin
from ..i18n import say, t
from ..imports.batch import run_import_file
from ..imports.merge import CHANGES_FILE, Result
from ..imports.source import MAX_MB
from .common import paths, ui_lang

MAX_SHOWN = 200


def report(result: Result, dry_run: bool, out=print, lang: str = "vi") -> None:
    """Print problems, warnings and the plan (added / changed field by field / unchanged / removed)."""
    src = result.source
    out(t("cli_imp_read", lang).format(path=src.name, n=len(src.rows), encoding=src.encoding))
    for w in result.warnings:
        out(f"{t('val_warning', lang)}: {say(w, lang)}")
    for p in result.problems[:MAX_SHOWN]:
        out(p.text(lang))
    if len(result.problems) > MAX_SHOWN:
        out(t("cli_imp_more", lang).format(n=len(result.problems) - MAX_SHOWN))
    plan = result.plan
    if plan is None:
        return
    out(f"{t('cli_imp_added', lang)}: {len(plan.added)}")
    for sid in plan.added:
        out(f"  + {sid}")
    out(f"{t('cli_imp_changed', lang)}: {len(plan.changed)}")
    for sid, diff in plan.changed.items():
        out(f"  ~ {sid}")
        for f, old, new in diff:
            out(f"      {f}: '{_short(old)}' -> '{_short(new)}'")
    out(f"{t('cli_imp_unchanged', lang)}: {len(plan.unchanged)}")
    out(f"{t('cli_imp_removed', lang)}: {len(plan.removed)}"
        + (t("cli_imp_kept", lang).format(n=len(plan.missing)) if plan.missing else ""))
    for sid in plan.removed:
        out(f"  - {sid}")


def _short(text: str, width: int = 100) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def cmd_import(args) -> int:
    layers, lang = paths(args)[0], ui_lang(args)
    results = run_import_file(args.file, layers, load_admin(args.data_dir), layer_id=args.layer,
                              crs=args.crs, dry_run=args.dry_run, skip_invalid=args.skip_invalid,
                              reject_path=args.reject_file, remove_missing=args.remove_missing,
                              max_mb=args.max_mb, lang=lang)
    for result in results:
        if len(results) > 1:
            print("\n" + t("cli_imp_layer", lang).format(layer=result.layer))
        report(result, args.dry_run, lang=lang)
    errors = sum(len(r.problems) for r in results)
    if args.dry_run:
        print(t("cli_imp_dry_run", lang).format(n=errors))
        return 1 if errors else 0
    rejected = [r for r in results if r.reject_file]
    for r in rejected:
        print(t("cli_imp_rejected", lang).format(n=len(r.rejected), path=r.reject_file))
    if errors and not rejected:
        print(t("cli_imp_nothing_written", lang).format(n=errors))
        return 1
    written = [r.layer for r in results if r.written]
    print(t("cli_imp_wrote", lang).format(layer=", ".join(str(layers / (lid + ".csv")) for lid in written),
                                          log=layers / CHANGES_FILE)
          if written else t("cli_imp_no_changes", lang))
    return 0


def register(subparsers) -> None:
    """Add ``geo-kttt import FILE [--layer ID] [--crs] [--dry-run] [--skip-invalid]``."""
    p = subparsers.add_parser("import", help="import site updates from an officer's file into a layer")
    p.add_argument("file", help=".xlsx, .csv, .geojson, .kml, .kmz, .shp/.zip/folder or .gpkg")
    p.add_argument("--layer", help="layer id, e.g. solar_plants; optional when the file has a 'layer' "
                   "column (the atlas's own exports): then each row goes to its layer")
    p.add_argument("--crs", help="CRS of the coordinates when the file does not say, e.g. EPSG:9208")
    p.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    p.add_argument("--skip-invalid", action="store_true",
                   help="write the good rows; save bad ones to a reject file (CSV, UTF-8 BOM)")
    p.add_argument("--reject-file", help="where to save rejected rows (default: FILE.rejects.csv)")
    p.add_argument("--remove-missing", action="store_true",
                   help="remove layer records that are not in the file (default: keep them)")
    p.add_argument("--max-mb", type=float, default=MAX_MB,
                   help=f"largest file accepted, in MB (default {MAX_MB:g})")
    p.set_defaults(func=cmd_import)
