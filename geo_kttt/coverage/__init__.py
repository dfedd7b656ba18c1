"""Service areas and gaps for environment officers, measured in metres (EPSG:9208, never degrees).

:mod:`.units` gives the units (old communes, districts, 2025 communes) with their reference
points; :mod:`.analysis` finds the nearest facility and the served and unserved units;
:mod:`.context` adds what each unit holds; :mod:`.checks` says how complete the data is
and what looks wrong; :mod:`.report` turns a result into rows, lines, CSV, XLSX and JSON;
:mod:`.map` draws it on the atlas's map.

May import: the foundations, the content model and ``maps`` (for the map). Never store,
cli or server: the callers open the atlas and pass it in.
"""
