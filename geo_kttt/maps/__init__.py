"""Layer definitions -> folium/Leaflet maps: the map data, search and local front-end assets.

:mod:`.data` filters sites and writes the GeoJSON the pages load; :mod:`.build` makes the
folium map (layers, legend, popups, choropleth) drawn by ``static/js/atlas.js``;
:mod:`.search` folds diacritics ("chau doc" finds Châu Đốc); :mod:`.assets` points every
script and style at the pinned copies in ``geo_kttt/web/static``; :mod:`.newcommunes`
shows the 2025 communes through the crosswalk.

May import: the foundations, the content model and ``geo_kttt.web`` (never store,
the other features, cli or server). ``coverage`` and ``export`` build on it.
"""
