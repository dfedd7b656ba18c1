"""Exports for investment promotion, all built on one selection model.

:mod:`.selection` says what to export (a :class:`~.selection.Selection`: layers, extent,
filters) and imports nothing of its family; :mod:`.downloads` writes data files (GeoPackage,
GeoJSON, Shapefile, KML, CSV, XLSX); :mod:`.sheet` (with :mod:`.sheet_parts`) draws the
printable map sheet; :mod:`.standalone` renders the one-file offline HTML map; :mod:`.pack`
writes the investor pack and the standalone file.

May import: the foundations, the content model, ``maps`` (the standalone map is the web
map's own builder) and ``geo_kttt.web``. Never store, cli or server.
"""
