"""`geo-kttt import FILE --layer ID`: officers' files into a layer, with a preview and a log."""

from __future__ import annotations

from ..admin import load_admin
from ..i18n import say, t
from ..imports.merge import CHANGES_FILE, Result, run_import
from ..imports.source import MAX_MB
from .common import paths, ui_lang

MAX_SHOWN = 200


def report(result: Result, dry_run: bool, out=print, lang: str = "vi") -> None:
    """Print problems, warnings and the plan (added / changed field by field / unchanged / removed)."""
    src = result.source
    out(t("cli_imp_read", lang).format(path=src.path, n=len(src.rows), encoding=src.encoding))
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
    result = run_import(args.file, args.layer, layers, load_admin(args.data_dir), crs=args.crs,
                        dry_run=args.dry_run, skip_invalid=args.skip_invalid,
                        reject_path=args.reject_file, remove_missing=args.remove_missing,
                        max_mb=args.max_mb, lang=lang)
    report(result, args.dry_run, lang=lang)
    errors = len(result.problems)
    if args.dry_run:
        print(t("cli_imp_dry_run", lang).format(n=errors))
        return 1 if errors else 0
    if result.reject_file:
        print(t("cli_imp_rejected", lang).format(n=len(result.rejected), path=result.reject_file))
    if errors and not result.reject_file:
        print(t("cli_imp_nothing_written", lang).format(n=errors))
        return 1
    print(t("cli_imp_wrote", lang).format(layer=layers / (args.layer + ".csv"), log=layers / CHANGES_FILE)
          if result.written else t("cli_imp_no_changes", lang))
    return 0


def register(subparsers) -> None:
    """Add ``geo-kttt import FILE --layer ID [--crs] [--dry-run] [--skip-invalid]``."""
    p = subparsers.add_parser("import", help="import site updates from an officer's file into a layer")
    p.add_argument("file", help=".xlsx, .csv, .geojson, .kml, .kmz, .shp/.zip/folder or .gpkg")
    p.add_argument("--layer", required=True, help="layer id, e.g. solar_plants")
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
