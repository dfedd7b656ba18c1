"""`geo-kttt coverage`: served and unserved units, as a table, CSV or JSON."""

from __future__ import annotations

import json
import sys

from ..coverage.analysis import AtlasFrames, compute
from ..coverage.checks import data_checks, layer_completeness
from ..coverage.report import HEADERS, rows, summary_lines, to_csv, to_json
from ..coverage.units import LEVELS
from ..i18n import number, t
from ..store import open_atlas
from .common import fmt_table, paths, ui_lang


def _radius_error(value: str, lang: str) -> str:
    return f"{t('cli_error', lang)}: " + t("cli_radius_format", lang).format(value=value)


def _radii(values, lang: str = "vi") -> dict:
    out = {}
    for v in values or ():
        kind, sep, km = v.partition("=")
        try:
            out[kind.strip()] = float(km)
        except ValueError:
            raise SystemExit(_radius_error(v, lang)) from None
        if not sep or not kind.strip():
            raise SystemExit(_radius_error(v, lang))
    return out


def cmd_coverage(args) -> int:
    lang = ui_lang(args)
    frames = AtlasFrames.of(open_atlas(paths(args)[1]))
    statuses = [s.strip() for s in (args.status or "").split(",") if s.strip()] or None
    cov = compute(frames, args.layer, args.by, statuses, args.radius_km, _radii(args.radius, lang))
    if args.format == "json":
        data = to_json(cov, layer_completeness(frames), data_checks(frames))
        print(json.dumps(data, ensure_ascii=False, indent=1, default=str))
    elif args.format == "csv":
        sys.stdout.write(to_csv(cov, lang).decode("utf-8-sig"))
    else:
        df = rows(cov, lang)
        cols = ["code", "name", "served", "basis", "nearest", "nearest_km", "distance_note"]
        shown = df[cols].astype(object).where(df[cols].notna(), None)
        shown["nearest_km"] = df.nearest_km.map(lambda v: number(v, lang, 1))  # as the page writes it
        for line in summary_lines(cov, lang):
            print(line)
        print()
        print(fmt_table(shown, cols, lang, [HEADERS[c][lang] for c in cols]))
    return 0


def register(subparsers) -> None:
    """Add the ``coverage`` subcommand to the ``geo-kttt`` parser."""
    c = subparsers.add_parser("coverage", help="served and unserved units around facilities (km, EPSG:9208)")
    c.add_argument("--layer", default="waste_facilities", help="facility layer id")
    c.add_argument("--radius-km", type=float, help="one service radius for every facility kind")
    c.add_argument("--radius", action="append", metavar="KIND=KM",
                   help="service radius for one kind, e.g. landfill=15 (repeatable)")
    c.add_argument("--status", help="statuses counted, comma-separated, e.g. "
                   "operating,under_construction,planned (default: operating and pilot)")
    c.add_argument("--by", choices=LEVELS, default="commune")
    c.add_argument("--format", choices=["table", "csv", "json"], default="table")
    c.add_argument("--lang", choices=["vi", "en"], help="language of the table and CSV (GEO_KTTT_LANG)")
    c.set_defaults(func=cmd_coverage)
