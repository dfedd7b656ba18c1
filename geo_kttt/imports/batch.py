"""One file, several layers: :func:`run_import_file` imports a file into each layer its rows
name in a ``layer`` column (the atlas's all-layers CSV and XLSX exports), or a plain file
into the one layer it is given. Nothing is written unless every layer's rows pass (or
``skip_invalid``).
"""

from __future__ import annotations

from ..i18n import Codes, Msg
from .merge import Result, import_source, prepare
from .source import MAX_MB, ImportFailed, read_sources
from .split import split_layers


def run_import_file(path, layers_dir, admin, layer_id: str | None = None, crs=None, dry_run=False,
                    skip_invalid=False, reject_path=None, remove_missing=False,
                    today: str | None = None, max_mb: float = MAX_MB,
                    lang: str = "vi") -> list[Result]:
    """Import ``path`` into its layers (by its ``layer`` column) or into ``layer_id``.

    Parameters are those of :func:`geo_kttt.imports.merge.run_import`; ``layer_id`` may be
    None when the file has a ``layer`` column. With several layers, ``reject_path`` gets the
    layer id before its suffix.

    Returns
    -------
    list of Result
        One per layer, in catalogue order.
    """
    catalog, crs = prepare(layers_dir, crs)
    if layer_id is not None and layer_id not in catalog:
        raise ImportFailed(Msg("imp_unknown_layer", layer=layer_id, allowed=Codes(catalog)))
    parts, warnings = split_layers(read_sources(path, max_mb), catalog, layer_id)
    order = [lid for lid in catalog if lid in parts]

    def run(lid, dry):
        rejects = reject_path
        if rejects and len(order) > 1:
            rejects = str(rejects).removesuffix(".csv") + f".{lid}.csv"
        return import_source(parts[lid], lid, catalog, layers_dir, admin, crs, dry, skip_invalid, rejects,
                             remove_missing, today, lang)

    results = [run(lid, True) for lid in order]
    if not dry_run and (skip_invalid or not any(r.problems for r in results)):
        results = [run(lid, False) for lid in order]
    if results:
        results[0].warnings[:0] = warnings
    return results
