"""KMZ for Google Earth: the styled KML and its icons in one zip, so it shows offline.

The zip holds ``doc.kml`` first (Google Earth and GDAL open the first .kml) and
``files/<layer>-filled.png`` / ``files/<layer>-ring.png``: per layer, a disc of the layer's
colour with a white rim (exact/approximate positions) and a white disc in a dashed ring of
the layer's colour (commune/district positions), as on the web map. The KML's hrefs are
relative (``files/…``), and the icons are already coloured (the KML ``<color>`` is white,
so nothing tints them). Icons are drawn with matplotlib (Agg), offline and deterministic.

Imports nothing of its family: :mod:`.downloads` passes in the function that writes the KML.
"""

from __future__ import annotations

import io as bytes_io
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import Circle

ICON_PX = 64
KINDS = ("filled", "ring")


def icon_png(color: str, kind: str) -> bytes:
    """One marker icon as PNG bytes (``ICON_PX`` square, transparent outside the disc)."""
    fig = Figure(figsize=(1, 1), dpi=ICON_PX)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-1, 1)
    ax.set_ylim(-1, 1)
    ax.set_aspect("equal")
    ax.axis("off")
    if kind == "filled":
        ax.add_patch(Circle((0, 0), 0.92, facecolor=(0, 0, 0, 0.45), edgecolor="none"))
        ax.add_patch(Circle((0, 0), 0.86, facecolor=color, edgecolor="white", linewidth=3.2))
    else:
        ax.add_patch(Circle((0, 0), 0.8, facecolor=(1, 1, 1, 0.85), edgecolor=color, linewidth=4.5,
                            linestyle=(0, (3, 1.6))))
        ax.add_patch(Circle((0, 0), 0.22, facecolor=color, edgecolor="none"))
    out = bytes_io.BytesIO()
    fig.savefig(out, format="png", transparent=True, metadata={"Software": None})
    return out.getvalue()


def icon_files(catalog) -> dict[str, bytes]:
    """``files/<layer>-<kind>.png`` -> PNG bytes, for every layer of the catalogue."""
    return {f"files/{lid}-{kind}.png": icon_png(layer.color, kind)
            for lid, layer in catalog.items() for kind in KINDS}


def write_kmz(path: Path, catalog, write_kml: Callable[[Path, dict], None]) -> Path:
    """Write a KMZ at ``path``: ``write_kml(kml_path, hrefs)`` writes the KML, whose styles
    take their icons from ``hrefs`` ((layer id, kind) -> relative href); the icons go along."""
    icons = icon_files(catalog)
    hrefs = {(lid, kind): f"files/{lid}-{kind}.png" for lid in catalog for kind in KINDS}
    with tempfile.TemporaryDirectory() as scratch:
        kml = Path(scratch) / "doc.kml"
        write_kml(kml, hrefs)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.write(kml, "doc.kml")
            for name, data in icons.items():
                z.writestr(name, data)
    return Path(path)
