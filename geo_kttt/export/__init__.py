"""Exports for investment promotion, all built on one selection model.

:mod:`.selection` says what to export (a :class:`~.selection.Selection`: layers, extent,
filters) and imports nothing of its family; :mod:`.downloads` writes data files (GeoPackage,
GeoJSON, Shapefile, KML, KMZ, CSV, XLSX), in WGS 84 or a VN-2000 grid (:mod:`.grid`), with
QGIS styles and metadata in the GeoPackage (:mod:`.qgis`), the icons in the KMZ (:mod:`.kmz`)
and a .csvt/.prj beside the CSV (:mod:`.sidecars`); :mod:`.sheet` (with :mod:`.sheet_parts`)
draws the printable map sheet; :mod:`.standalone` renders the one-file offline HTML map; :mod:`.pack`
writes the investor pack and the standalone file.

May import: the foundations, the content model, ``maps`` (the standalone map is the web
map's own builder) and ``geo_kttt.web``. Never store, cli or server.
"""
