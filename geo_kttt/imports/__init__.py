"""Officers' files -> layer files (``geo-kttt import``): read, decode, convert, merge, validate.

:mod:`.source` reads the cells of XLSX, CSV, GeoJSON, KML/KMZ, Shapefile and GeoPackage
files and matches their columns to fields; :mod:`.encodings` decodes the text (UTF-8,
UTF-16, Windows-1258) and spots TCVN3/VNI; :mod:`.crs` performs every VN-2000 <-> WGS 84
step with one pinned operation; :mod:`.plain` turns what officers write (names, units as
labelled, "1.000,5") into codes and plain numbers and gives new sites their safe defaults;
:mod:`.merge` merges the rows into the layer by id, validates, writes the layer file and
logs the changes; :mod:`.split` and :mod:`.batch` import a file whose rows name their
layer (the atlas's own all-layers exports) into each of those layers.

May import: the foundations and the content model (never store, the other features,
cli or server).
"""
