"""Rows that say their ``layer``: the atlas's all-layers exports, split by layer.

The atlas's CSV export holds every layer's sites with a ``layer`` column; its XLSX export
has one sheet per layer, each with that column (:func:`geo_kttt.imports.source.read_sources`
reads them all).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..i18n import Codes, Msg
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
            raise ImportFailed(Msg("imp_which_layer", path=sources[0].path, allowed=Codes(catalog)))
        return {layer_id: sources[0]}, []
    out, warnings, unknown = {}, [], []
    for src in sources:
        rows: dict[str, list[int]] = {}
        for i, row in enumerate(src.rows):
            cell = row[src.colmap["layer"]].strip()
            lid = _layer_of(cell, catalog) if cell else layer_id
            if lid is None:
                unknown.append(f"{src.name}: {src.rownums[i]}: '{cell}'")
            else:
                rows.setdefault(lid, []).append(i)
        for lid, keep in rows.items():
            if layer_id is not None and lid != layer_id:
                warnings.append(Msg("imp_rows_left_out", name=src.name, n=len(keep), layer=lid,
                                    importing=layer_id))
            elif lid in out:
                raise ImportFailed(Msg("imp_layer_two_sheets", path=src.path, layer=lid, a=out[lid].sheet,
                                       b=src.sheet))
            else:
                out[lid] = _subset(src, keep)
    if unknown:
        raise ImportFailed(Msg("imp_not_layers", path=sources[0].path,
                               rows=", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else ""),
                               allowed=Codes(catalog)))
    if not out:
        raise ImportFailed(Msg("imp_no_rows_of_layer", path=sources[0].path, layer=layer_id))
    return out, warnings
