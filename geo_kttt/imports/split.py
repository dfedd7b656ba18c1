"""Rows that say their ``layer``: the atlas's all-layers exports, split by layer.

The atlas's CSV export holds every layer's sites with a ``layer`` column; its XLSX export
has one sheet per layer, each with that column (:func:`geo_kttt.imports.source.read_sources`
reads them all).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..text import fold
from .source import ImportFailed, Source


def _layer_of(value: str, catalog) -> str | None:
    """The layer id for a ``layer`` cell: its id or its title in either language."""
    key = fold(value)
    for lid, layer in catalog.items():
        if key in (fold(lid), fold(layer.title["vi"]), fold(layer.title["en"])):
            return lid
    return None


def _subset(src: Source, keep: list[int]) -> Source:
    xy = None if src.xy is None else (np.asarray(src.xy[0])[keep], np.asarray(src.xy[1])[keep])
    return replace(src, rows=[src.rows[i] for i in keep], rownums=[src.rownums[i] for i in keep], xy=xy,
                   notes=list(src.notes))


def split_layers(sources: list[Source], catalog, layer_id: str | None) -> tuple[dict, list[str]]:
    """{layer id: Source with its rows} and warnings; rows of other layers than ``layer_id``
    (when given) are left out, with a warning.

    Raises
    ------
    ImportFailed
        No layer given and none in the file, or rows naming a layer the atlas does not have.
    """
    if not any("layer" in s.colmap for s in sources):
        if layer_id is None:
            raise ImportFailed(f"{sources[0].path}: which layer does the file update? Fix: give --layer "
                               f"with one of {', '.join(catalog)}, or a 'layer' column")
        return {layer_id: sources[0]}, []
    out, warnings, unknown = {}, [], []
    for src in sources:
        rows: dict[str, list[int]] = {}
        for i, row in enumerate(src.rows):
            cell = row[src.colmap["layer"]].strip()
            lid = _layer_of(cell, catalog) if cell else layer_id
            if lid is None:
                unknown.append(f"{src.name} row {src.rownums[i]}: '{cell}'")
            else:
                rows.setdefault(lid, []).append(i)
        for lid, keep in rows.items():
            if layer_id is not None and lid != layer_id:
                warnings.append(f"{src.name}: {len(keep)} row(s) of layer {lid} left out "
                                f"(importing layer {layer_id})")
            elif lid in out:
                raise ImportFailed(f"{src.path}: rows of layer {lid} are in sheets {out[lid].sheet} and "
                                   f"{src.sheet}. Fix: keep each layer's rows in one sheet")
            else:
                out[lid] = _subset(src, keep)
    if unknown:
        raise ImportFailed(f"{sources[0].path}: {', '.join(unknown[:5])}"
                           f"{' …' if len(unknown) > 5 else ''}: not a layer of this atlas. Fix: use one "
                           f"of {', '.join(catalog)}")
    if not out:
        raise ImportFailed(f"{sources[0].path}: no rows of layer {layer_id}")
    return out, warnings
