"""Open an exported GeoPackage in headless QGIS (PyQGIS) and report what a QGIS user gets.

Run by tests/export/test_export_qgis.py with Debian's /usr/bin/python3 (python3-qgis; not the
project's virtualenv) and QT_QPA_PLATFORM=offscreen:

    /usr/bin/python3 qgis_render.py ATLAS.gpkg OUT_DIR

For every layer: whether QGIS found a default style in the file and loaded it, the renderer and
its category colours, the metadata QGIS shows (title, abstract, rights, licences, history), and
the pixel of each feature in a PNG of that layer alone (OUT_DIR/<layer>.png). Also renders all
layers together (OUT_DIR/all.png) for people to look at. Prints one JSON document.
"""

import json
import os
import sys
from pathlib import Path

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

DPI = 192
SIZE = (1400, 1100)


def render(layers, extent, dest: Path) -> QgsMapSettings:
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(layers[-1].crs())
    settings.setOutputSize(QSize(*SIZE))
    settings.setOutputDpi(DPI)
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setExtent(extent)
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(str(dest), "PNG")
    return job.mapSettings()


def describe(layer) -> dict:
    listed = layer.listStylesInDatabase()  # (count of related, ids, names, descriptions, error)
    r = layer.renderer()
    info = {"valid": layer.isValid(), "features": layer.featureCount(), "crs": layer.crs().authid(),
            "styles_for_layer": list(listed[2][:listed[0]]), "style_error": listed[4],
            "renderer": r.type(), "labels": layer.labelsEnabled(),
            "title": layer.metadata().title(), "abstract": layer.metadata().abstract(),
            "rights": list(layer.metadata().rights()), "licenses": list(layer.metadata().licenses()),
            "history": list(layer.metadata().history()),
            "aliases": {f.name(): f.alias() for f in layer.fields() if f.alias()}}
    if r.type() == "categorizedSymbol":
        info["attr"] = r.classAttribute()
        info["categories"] = {c.value(): [c.symbol().symbolLayer(i).layerType() for i in
                                          range(c.symbol().symbolLayerCount())] for c in r.categories()}
        disc = lambda c: c.symbol().symbolLayer(c.symbol().symbolLayerCount() - 2)  # noqa: E731
        info["fill"] = {c.value(): disc(c).color().name() for c in r.categories()}
        info["stroke"] = {c.value(): disc(c).strokeColor().name() for c in r.categories()}
    return info


def main(path: str, out: str) -> None:
    app = QgsApplication([], False)
    app.initQgis()
    out_dir = Path(out)
    whole = QgsVectorLayer(path, "x", "ogr")
    names = [s.split("!!::!!")[1] for s in whole.dataProvider().subLayers()]
    report, loaded = {"qgis": Qgis.QGIS_VERSION, "layers": {}}, {}
    for name in names:
        uri = f"{path}|layername={name}"
        layer = QgsVectorLayer(uri, name, "ogr")
        if not layer.isValid() or not layer.isSpatial():
            continue
        loaded[name] = layer
        report["layers"][name] = describe(layer)
    extent = QgsRectangle(loaded["districts"].extent())
    extent.scale(1.05)
    for name, layer in loaded.items():
        if name in ("districts", "communes"):
            continue
        settings = render([layer], extent, out_dir / f"{name}.png")
        m2p = settings.mapToPixel()
        pts = []
        for f in layer.getFeatures():
            p = m2p.transform(f.geometry().asPoint())
            pts.append([f["id"], f["location_precision"], p.x(), p.y()])
        report["layers"][name]["pixels"] = pts
    order = [n for n in loaded if n not in ("districts", "communes")] + \
        [n for n in ("communes", "districts") if n in loaded]
    render([loaded[n] for n in order], extent, out_dir / "all.png")
    report["marker_px"] = 5.5 / 25.4 * DPI
    print(json.dumps(report, ensure_ascii=False), flush=True)
    os._exit(0)  # exitQgis() with layers alive crashes PyQGIS 3.22 at exit


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
