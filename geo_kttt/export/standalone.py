"""The standalone HTML map: one file that opens offline, years from now.

Built from the web map's own builder (:func:`geo_kttt.maps.build_map`, the sites embedded as
one compact table, :mod:`geo_kttt.maps.embed`), so it has the same layers, legend, clusters
and popups. Every script and style sheet (Leaflet and
its plugins from ``web/node_modules``, ``atlas.js``/``map.css`` from ``web/static``) is
inlined, images in style sheets become ``data:`` URIs and the icon sprite is put in the
page. A Content-Security-Policy meta tag allows no host but the configured tile server;
without tiles (offline, or TILE_URL=none) the district boundaries are the background.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import mimetypes
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from .. import settings
from ..catalog import attribution_texts
from ..i18n import date, t
from ..maps.assets import STATIC, components, file_for
from ..maps.build import AtlasLayers, build_map
from ..maps.data import Filters
from .selection import Selection, describe, scope_name, select_sites

TEMPLATES = STATIC.parent / "templates"
CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)")


def _data_uri(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def inline_css(path: Path) -> str:
    """A style sheet's text with relative ``url(...)`` images turned into data URIs."""
    text = path.read_text(encoding="utf-8")

    def repl(m):
        ref = m.group(2)
        if ref.startswith(("data:", "#")) or urlsplit(ref).scheme:
            return m.group(0)
        target = (path.parent / ref.split("?")[0].split("#")[0]).resolve()
        return f'url("{_data_uri(target)}")' if target.is_file() else "none"
    return CSS_URL.sub(repl, text).replace("</style", "<\\/style")


def _file(url: str) -> Path:
    return file_for(url.lstrip("/"))


def _config(m) -> dict:
    return next(el for el in _walk(m) if isinstance(el, AtlasLayers)).config


def _walk(element):
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def build_standalone_map(atlas, sel: Selection, lang: str, tiles: str | None):
    """The folium map of the selection, with exactly the selected sites embedded."""
    layers = sel.layer_ids(atlas.catalog)
    filters = Filters(layers=tuple(layers), statuses=sel.statuses or None, district=sel.district,
                      verified=bool(sel.verified))
    focus = {"bbox": list(sel.bbox)} if sel.bbox else None
    shown = select_sites(atlas, sel)
    m = build_map(atlas, lang, layers=layers, filters=filters, tiles=tiles, embed=True,
                  fit=sel.district, focus=focus, sites=shown)
    cfg = _config(m)
    cfg["iconsUrl"] = ""  # the sprite is inside the page
    return m


def render_standalone(atlas, sel: Selection, lang: str = "vi", tiles: str | None = None) -> str:
    """The whole HTML document as text.

    Parameters
    ----------
    atlas : Atlas
    sel : Selection
    lang : {'vi', 'en'}
    tiles : str, optional
        Basemap URL template; default the TILE_URL setting; ``"none"`` for no basemap.
    """
    tiles = tiles if tiles is not None else settings.get("TILE_URL")
    parts = components(build_standalone_map(atlas, sel, lang, tiles))
    nonce = secrets.token_urlsafe(16)
    tile_host = ""
    if tiles and tiles.lower() != "none":
        u = urlsplit(tiles.replace("{s}", "*"))
        tile_host = f" {u.scheme}://{u.netloc}"
    icons = (STATIC / "img" / "icons.svg").read_text(encoding="utf-8")
    icons = re.sub(r"<!--.*?-->", "", icons, flags=re.S).replace(
        "<svg ", '<svg class="sprite" width="0" height="0" aria-hidden="true" ', 1)
    meta = atlas.metadata
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    page = env.get_template("exports/standalone.html").render(
        lang=lang, nonce=nonce, tile_host=tile_host,
        title=f"{meta['title_' + lang]} - {scope_name(atlas, sel, lang)}",
        css=[Markup(inline_css(_file(u))) for u in parts["css"]],
        js=[Markup(_file(u).read_text(encoding="utf-8").replace("</script", "<\\/script"))
            for u in parts["js"]],
        map_html=Markup(parts["html"]), script=Markup(parts["script"]), icons=Markup(icons),
        filters=describe(atlas, sel, lang), data_date=date(meta["data_date"], lang), version=meta["version"],
        made=date(dt.datetime.now(dt.UTC), lang) + dt.datetime.now(dt.UTC).strftime(" %H:%M UTC"),
        attribution=attribution_texts(meta, lang), t=lambda key: t(key, lang),
        generator=json.dumps({"geo_kttt": meta["version"]}))
    return page
