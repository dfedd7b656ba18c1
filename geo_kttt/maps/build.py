"""Layer definitions -> folium maps: site layers, popups, legend, styles, local assets.

Every site layer is drawn by one script, ``web/static/atlas.js``, tile by tile of the view:
clusters and single sites either from the server (``embed=False``, the web app:
:mod:`.clusters`, so the browser receives only what the view shows, at any number of sites)
or from a table embedded in the map (``embed=True``: a self-contained map for exports,
:mod:`.embed`), clustered the same way in the browser. Popups load when opened.
Data reaches the page only as JSON (:func:`geo_kttt.text.script_json`, never through a
template: see :class:`DataScript`) and becomes DOM text nodes in the browser, never HTML:
a site called ``<img src=x onerror=alert(1)>`` or ``{{7*7}}`` shows as text.
"""

from __future__ import annotations

import math

import folium
from branca.element import CssLink, Element, JavascriptLink
from folium.elements import JSCSSMixin
from folium.plugins import Fullscreen

from .. import settings
from ..catalog import FIELDS, PRECISIONS, STATUSES
from ..i18n import number, number_span, t
from ..text import script_json
from .clusters import CLIENT, cluster_index
from .data import (
    Filters,
    all_sites,
    capacity_texts,
    district_geojson,
    filter_sites,
    metric_values,
    sites_geojson,
    unit_names,
)
from .embed import site_table

CENTER = (10.45, 105.2)  # An Giang (pre-2025)
ZOOM = 9
IMPRECISE = ("commune", "district")
# Sequential classes for the choropleth (light to dark), and the colour of zero.
CLASS_COLORS = ("#edf8fb", "#b3cde3", "#8c96c6", "#8856a7", "#810f7c")
ZERO_COLOR = "#f4f4f4"
# Symbols in web/static/icons.svg; a layer naming another icon is drawn with "dot".
ICONS = ("sun", "recycle", "sort", "rice", "fish", "loop", "factory", "dot")


def icon_name(icon: str) -> str:
    """The symbol drawn for a layer's ``icon`` (``dot`` when icons.svg has no such symbol)."""
    return icon if icon in ICONS else "dot"


def strings(catalog: dict, lang: str) -> dict:
    """Every label the map script needs, in ``lang``: fields, statuses, precisions, kinds, units."""
    col = 2 if lang == "vi" else 3
    keys = ("legend", "layer", "districts", "imprecise", "precise", "pos_commune", "pos_district", "yes",
            "no", "sources", "district", "commune", "loading", "load_failed", "sites_shown", "no_data",
            "split_unit", "new_unit", "split_short")
    return {
        "ui": {k: t(k, lang) for k in keys},
        "fields": {name: spec[col] for name, spec in FIELDS.items()},
        "statuses": {k: v[lang] for k, v in STATUSES.items()},
        "precisions": {k: {"label": v[lang], "help": v[f"help_{lang}"]} for k, v in PRECISIONS.items()},
        "kinds": {lid: {k: v[lang] for k, v in layer.kinds.items()} for lid, layer in catalog.items()},
        "units": {lid: {k: v[lang] for k, v in layer.units.items()} for lid, layer in catalog.items()},
    }


def layer_info(catalog: dict, lang: str, counts: dict | None = None) -> list[dict]:
    """Layer id, title, colour, icon (and shown count) in catalogue order, for legend and panel."""
    return [{"id": lid, "title": layer.title[lang], "color": layer.color, "icon": icon_name(layer.icon),
             "count": (counts or {}).get(lid, 0)} for lid, layer in catalog.items()]


def choropleth(atlas, filters: Filters, metric: str | None, lang: str) -> dict | None:
    """District fill colours for ``metric`` (see :func:`mapdata.metric_values`), with legend classes."""
    if not metric:
        return None
    values, label = metric_values(atlas, filters, metric, lang)
    texts = {code: number(v, lang) for code, v in values.items()}  # as the tables write them
    top = max(values.values(), default=0)
    if top <= 0:
        return {"label": label, "colors": {c: ZERO_COLOR for c in values}, "classes": [], "values": values,
                "texts": texts}
    counts = metric.startswith("count")
    n = len(CLASS_COLORS)
    step = math.ceil(top / n) if counts else top / n  # whole numbers of sites per class
    n = math.ceil(top / step) if counts else n
    palette = CLASS_COLORS[len(CLASS_COLORS) - n:]  # the darkest class is always the top one
    classes = [{"from": i * step + 1 if counts else round(i * step, 3),
                "to": (i + 1) * step if counts else round((i + 1) * step, 3), "color": c}
               for i, c in enumerate(palette)]
    for c in classes:
        c["text"] = number_span(c["from"], c["to"], lang).replace("–", " – ")
    colors = {code: ZERO_COLOR if v <= 0 else palette[min(int(math.ceil(v / step)) - 1, n - 1)]
              for code, v in values.items()}
    return {"label": label, "colors": colors, "classes": classes, "values": values, "texts": texts}


class RawScript(Element):
    """A script part that is emitted as it is: never compiled as a template.

    branca compiles what each element's ``script`` macro returns as a new template
    (``Element(script(self, kwargs))``); data in that text would run as Jinja code.
    """

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class DataScript(JSCSSMixin):
    """Calls ``<function>(map, config)`` in the page: the config as JSON (:func:`script_json`),
    outside branca's template pass, so data never becomes template syntax."""

    function = ""

    def __init__(self, config: dict):
        super().__init__()
        self._name = type(self).__name__
        self.config = config

    def render(self, **kwargs):
        figure = self.get_root()
        for name, url in self.default_js:
            figure.header.add_child(JavascriptLink(url), name=name)
        for name, url in self.default_css:
            figure.header.add_child(CssLink(url), name=name)
        call = f"{self.function}({self._parent.get_name()}, {script_json(self.config)});"
        figure.script.add_child(RawScript(call), name=self.get_name())


class AtlasLayers(DataScript):
    """Boundaries, site layers, legend and popups, drawn by ``atlas.js`` from a JSON config."""

    function = "geoKttt.init"
    default_js = [("geo_kttt_sources_js", ""), ("geo_kttt_js", "")]
    default_css = [("geo_kttt_css", "")]


def tile_layer(tiles: str | None, attribution: str | None):
    """A folium TileLayer for the configured tile URL, or None for the no-basemap mode."""
    tiles = tiles if tiles is not None else settings.get("TILE_URL")
    if not tiles or tiles.lower() == "none":
        return None
    attr = attribution or settings.get("TILE_ATTRIBUTION")
    return folium.TileLayer(tiles=tiles, attr=attr, name="basemap", max_zoom=19, control=False)


def build_map(atlas, lang: str = "vi", layers=None, filters: Filters | None = None,
              tiles: str | None = None, attribution: str | None = None, embed: bool = True,
              tiles_url: str | None = None, site_url: str | None = None, metric: str | None = None,
              focus: dict | None = None, fit: str | None = None, units: dict | None = None,
              layer_control: bool | None = None, page_link: dict | None = None,
              sites=None) -> folium.Map:
    """A folium map of the atlas: boundaries, one toggleable group per layer, legend, popups.

    Parameters
    ----------
    atlas : Atlas
        An opened, built atlas.
    lang : {'vi', 'en'}
    layers : list of str, optional
        Layer ids to show at first (all by default); the others can be switched on.
    filters : Filters, optional
        Status, district and verified-only filters (their ``layers`` are the visible ones).
    tiles, attribution : str, optional
        Basemap URL template and its attribution; ``"none"`` draws no basemap. Default: the
        TILE_URL and TILE_ATTRIBUTION settings.
    embed : bool
        True embeds the sites (:func:`geo_kttt.maps.embed.site_table`: a self-contained map);
        False loads the clusters of each tile of the view from ``tiles_url`` (the web app;
        ``{z}``, ``{x}``, ``{y}``, see :mod:`.clusters`), with popups from ``site_url``
        (``{layer}``, ``{id}``).
    metric : str, optional
        A choropleth of districts, e.g. ``"count"``, ``"count:solar_plants"``,
        ``"capacity:solar_plants:MWp"`` (see :func:`geo_kttt.summary.capacity_key`).
    focus : dict, optional
        ``{"layer": …, "id": …}`` to zoom to and open, or ``{"bbox": [w, s, e, n]}``.
    fit : str, optional
        A district code to fit the view to.
    units : dict, optional
        Extra unit outlines (GeoJSON with ``code``, ``name``, optional ``split``), e.g. the
        2025 communes.
    layer_control : bool, optional
        Add Leaflet's layer switcher (default: when embedding, as a page has its own panel).
    page_link : dict, optional
        ``{"url": …, "label": …}``: a link in each popup to the site's page (``{layer}``, ``{id}``).
    sites : DataFrame, optional
        With ``embed``: exactly these sites (default: those passing ``filters``).

    Returns
    -------
    folium.Map
        Call :func:`geo_kttt.assets.components` (web pages) or ``localize`` + ``save``.
    """
    filters = filters or Filters()
    visible = list(layers or filters.layers or atlas.catalog)
    m = folium.Map(location=CENTER, zoom_start=ZOOM, tiles=None, control_scale=False,  # atlas.js: metric
                   prefer_canvas=False, min_zoom=7, max_zoom=19)
    base = tile_layer(tiles, attribution)
    if base is not None:
        base.add_to(m)
    Fullscreen(title=t("fullscreen", lang), title_cancel=t("fullscreen_exit", lang),
               position="topleft").add_to(m)
    config = map_config(atlas, lang, visible, filters, embed, tiles_url, site_url, metric, focus, fit,
                        sites)
    config["units"] = units
    config["layerControl"] = embed if layer_control is None else layer_control
    config["pageLink"] = page_link
    AtlasLayers(config).add_to(m)
    return m


def map_config(atlas, lang, visible, filters, embed, tiles_url, site_url, metric, focus, fit,
               sites=None) -> dict:
    """The JSON configuration ``atlas.js`` draws from (see docs/web.md)."""
    catalog = atlas.catalog
    if embed:
        shown = filter_sites(all_sites(atlas), filters, with_layers=False) if sites is None else sites
        counts = shown.layer.value_counts().to_dict()
    else:
        index = cluster_index(atlas)
        counts = index.counts(filters)
    config = {
        "lang": lang, "locale": lang,  # numbers in the script: Intl.NumberFormat(locale)
        "layers": layer_info(catalog, lang, counts),
        "visible": [lid for lid in visible if lid in catalog],
        "strings": strings(catalog, lang),
        "districts": district_geojson(atlas),
        "choropleth": choropleth(atlas, filters, metric, lang),
        "focus": focus, "fit": fit, "clusters": CLIENT,
    }
    if embed:
        config["sites"] = embedded_sites(atlas, shown, lang)
        config["extent"] = list(shown.total_bounds) if len(shown) else None
    else:
        config["tilesUrl"] = tiles_url
        config["siteUrl"] = site_url
        config["extent"] = index.extent
    return config


def embedded_sites(atlas, sites, lang: str = "vi") -> dict:
    """``sites`` as the table a self-contained map carries (:func:`geo_kttt.maps.embed.site_table`),
    with what its popups say in words in ``lang``, as :func:`~geo_kttt.maps.data.with_names` does."""
    districts, communes = unit_names(atlas)
    words = sites.assign(district_name=[districts.get(c) for c in sites.district_code.astype(str)],
                         commune_name=[communes.get(c) for c in sites.commune_code],
                         capacity_text=capacity_texts(atlas.catalog, sites.capacity, sites.capacity_max,
                                                      sites.capacity_unit, lang))
    return site_table(words, list(atlas.catalog))


__all__ = ["DataScript", "Filters", "build_map", "embedded_sites", "map_config", "strings", "layer_info",
           "choropleth", "sites_geojson", "tile_layer", "IMPRECISE"]
