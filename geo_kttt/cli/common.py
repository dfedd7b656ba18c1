"""What the command modules share: where the layers and the atlas are, and plain text tables."""

from __future__ import annotations

from .. import settings


def paths(args):
    """(layers folder, atlas location) from the global options, then the settings."""
    layers = settings.path("LAYERS_DIR", args.layers_dir)
    atlas = args.database or settings.get("DATABASE_URL") or settings.path("ATLAS", args.atlas)
    return layers, atlas


def fmt_table(df, columns) -> str:
    """``df``'s ``columns`` as an aligned text table (first two left, the rest right)."""
    cells = [[str(c) for c in columns]] + [[_cell(r[c]) for c in columns] for _, r in df.iterrows()]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in
                       enumerate(zip(row, widths, strict=True))) for row in cells]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    return "\n".join(lines)


def _cell(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)
