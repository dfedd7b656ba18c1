"""No English and no raw code on a Vietnamese page (issue 12 §8).

Every page is fetched in ``vi`` and its visible text (tags, scripts and styles stripped, as a
reader sees it) is searched for the English of the interface (the string table's ``en``
values that differ from ``vi``, the layers' English titles, kinds and units, the status and
precision labels) and for raw codes (layer ids, unit codes, status, kind and precision codes).
The browser test does the same on the rendered page (``innerText``), legend and popups included.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from geo_kttt.catalog import FIELDS, PRECISIONS, STATUSES
from geo_kttt.i18n import STRINGS

METRIC = "capacity:waste_facilities/incinerator:t/day"  # a choropleth of one layer, kind and unit
MIN_LEN = 4  # English words of three letters or fewer (km, ha, ID, No) are not counted
WORD = r"[\w/-]"


class _Text(HTMLParser):
    """The text a reader sees: no <script>, <style> or <template>, no attributes. Text an
    element marks as another language (``lang="en"``: data written in English, such as the
    researchers' notes and the English names) is left out: it is data, said to be English;
    so is ``<code>``: what a reader types (a URL parameter's allowed values in an error)."""

    SKIP = {"script", "style", "template", "noscript", "code"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
            "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.stack = [], []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        lang = dict(attrs).get("lang")
        self.stack.append((tag, tag in self.SKIP or (lang is not None and lang != "vi")))

    def handle_endtag(self, tag):
        if any(t == tag for t, _ in self.stack):
            while self.stack and self.stack.pop()[0] != tag:
                pass

    def handle_data(self, data):
        if data.strip() and not any(skip for _, skip in self.stack):
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    p = _Text()
    p.feed(html)
    return "\n".join(p.parts)


def _pattern(text: str) -> re.Pattern | None:
    """A regex for one English string; ``{n}`` placeholders match anything."""
    pieces = re.split(r"\{\w*\}", text)
    if max(len(p.strip()) for p in pieces) < MIN_LEN:
        return None
    body = ".+?".join(re.escape(p) for p in pieces)
    start = rf"(?<!{WORD})" if re.match(r"\w", text) else ""  # 'text' is not in 'text/html'
    end = rf"(?!{WORD})" if re.search(r"\w$", text) else ""
    return re.compile(start + body + end)


def english_strings(catalog) -> dict[str, str]:
    """English text of the interface that is not also its Vietnamese text -> where it comes from."""
    pairs = [(f"i18n:{k}", v["vi"], v["en"]) for k, v in STRINGS.items()]
    pairs += [(f"status:{k}", v["vi"], v["en"]) for k, v in STATUSES.items()]
    pairs += [(f"precision:{k}", v[f"{p}vi"], v[f"{p}en"])
              for k, v in PRECISIONS.items() for p in ("", "help_")]
    pairs += [(f"field:{k}", v[2], v[3]) for k, v in FIELDS.items()]
    for lid, layer in catalog.items():
        pairs += [(f"{lid}.title", layer.title["vi"], layer.title["en"]),
                  (f"{lid}.description", layer.description["vi"], layer.description["en"])]
        pairs += [(f"{lid}.kind:{k}", v["vi"], v["en"]) for k, v in layer.kinds.items()]
        pairs += [(f"{lid}.unit:{k}", v["vi"], v["en"]) for k, v in layer.units.items()]
    # English that the Vietnamese text uses too is a name or a loanword ("OGC API – Features", "Biogas")
    names = " ".join(vi for _, vi, _ in pairs)
    return {en: where for where, vi, en in pairs if en != vi and en.lower() != vi.lower()
            and not re.search(rf"(?<!\w){re.escape(en)}(?!\w)", names)}


def raw_codes(catalog) -> dict[str, str]:
    """Codes a reader should never see: layer ids, unit, status, kind and precision codes
    (a code that its own Vietnamese label contains, such as 'biogas' or 'MWp', is a word)."""
    codes = {lid: "layer id" for lid in catalog}
    codes |= {s: "status code" for s, v in STATUSES.items() if s.lower() not in v["vi"].lower()}
    codes |= {p: "precision code" for p in PRECISIONS}
    for layer in catalog.values():
        codes |= {u: "unit code" for u, v in layer.units.items() if u.lower() not in v["vi"].lower()}
        codes |= {k: "kind code" for k, v in layer.kinds.items() if k.lower() not in v["vi"].lower()}
    return codes


def offences(text: str, catalog) -> list[str]:
    found = []
    for en, where in english_strings(catalog).items():
        pat = _pattern(en)
        if pat and (m := pat.search(text)):
            found.append(f"English {m.group(0)!r} ({where})")
    for code, what in raw_codes(catalog).items():
        if m := re.search(rf"(?<!{WORD}){re.escape(code)}(?!{WORD})", text):
            found.append(f"{what} {m.group(0)!r}: …{text[max(0, m.start() - 40):m.end() + 40]!r}…")
    return found


def vi_pages(atlas) -> list[str]:
    """Every page of the atlas, in Vietnamese (the default language)."""
    pages = ["/", f"/?metric={METRIC}", "/?district=890", "/districts", "/new-communes", "/report",
             "/changes", "/changes?since=2000-01-01", "/search?q=chau+doc", "/search?q=zzzz", "/export/",
             "/export/?district=884&layers=solar_plants"]
    pages += [f"/districts/{code}" for code in atlas.districts().code]
    pages += [f"/coverage?layer={lid}&by={by}" for lid in atlas.catalog for by in ("commune", "district")]
    pages += ["/coverage?by=new-commune", "/coverage?by=district&radius_km=5"]
    pages += ["/ogcapi/?f=html", "/ogcapi/conformance?f=html", "/ogcapi/collections?f=html",
              "/ogcapi/collections/districts/items?f=html&limit=2"]
    for lid in atlas.catalog:
        first = atlas.sites(lid).id.iloc[0]
        pages += [f"/ogcapi/collections/{lid}?f=html", f"/ogcapi/collections/{lid}/items?f=html",
                  f"/ogcapi/collections/{lid}/items/{first}?f=html"]
    return pages


ERRORS = {"/districts/000": 404, "/no-such-page": 404, "/?status=finished": 400, "/?district=1": 400,
          "/?metric=bogus": 400, "/coverage?layer=nope": 400, "/coverage?radius_km=abc": 400,
          "/changes?since=yesterday": 400, "/export/?bbox=1,2": 400, "/?focus=site:solar_plants/nope": 404}


def test_every_vietnamese_page_is_free_of_english_and_raw_codes(client, atlas):
    bad = {}
    pages = vi_pages(atlas)
    assert len(pages) > 50
    for url in pages:
        r = client.get(url)
        assert r.status_code == 200, url
        if found := offences(visible_text(r.get_data(as_text=True)), atlas.catalog):
            bad[url] = found
    assert not bad, "\n".join(f"{u}:\n  " + "\n  ".join(f) for u, f in bad.items())


@pytest.mark.parametrize("url, status", ERRORS.items())
def test_error_pages_speak_vietnamese(client, atlas, url, status):
    r = client.get(url)
    assert r.status_code == status and r.mimetype == "text/html"
    text = visible_text(r.get_data(as_text=True))
    assert not offences(text, atlas.catalog)
    assert re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỷỹ]", text.split("·", 1)[-1])


def test_the_check_finds_english_and_codes(atlas):
    """The checker itself: it sees what it must see, and not Vietnamese that looks alike."""
    assert offences("Tổng công suất (t_raw/day)", atlas.catalog)
    assert offences("Lớp: waste_facilities", atlas.catalog)
    assert offences("Đang xây dựng: under_construction", atlas.catalog)
    assert offences("Province-wide total: Sites shown", atlas.catalog)
    assert not offences("Khí sinh học (biogas) · 320 MWp · 12 ha · Lúa SRP", atlas.catalog)


# innerText of an element without what is marked as another language or as code (as visible_text)
INNER_TEXT = """(el) => { const c = el.cloneNode(true);
  c.querySelectorAll('[lang]:not([lang=vi]), code, script, style').forEach(e => e.remove());
  document.body.appendChild(c); const text = c.innerText; c.remove(); return text; }"""


def _loaded(page, url):
    page.goto(url)
    page.wait_for_function("() => { const m = document.querySelector('.folium-map');"
                           " return m && /^[0-9]+$/.test(m.dataset.sitesLoaded || ''); }", timeout=15000)
    page.wait_for_timeout(300)


@pytest.mark.browser
def test_rendered_pages_legend_and_popups_are_vietnamese(browser, live_server, atlas):
    """innerText of the rendered pages (legend, choropleth, popups drawn by the scripts)."""
    from conftest import ARTIFACTS

    page = browser.new_page(viewport={"width": 1366, "height": 768})
    bad = {}
    for url in ("/", f"/?metric={METRIC}", "/districts/892", "/new-communes", "/coverage"):
        _loaded(page, live_server + url)
        if found := offences(page.locator("body").evaluate(INNER_TEXT), atlas.catalog):
            bad[url] = found
    sites = atlas.sites()
    site = sites[(sites.capacity_unit == "t/day") & (sites.location_precision == "commune")
                 & (sites.capacity >= 1000)].iloc[0]
    _loaded(page, f"{live_server}/?focus=site:{site.layer}/{site.id}")
    popup = page.locator(".leaflet-popup-content .site-popup")
    page.wait_for_function("() => document.querySelector('.site-popup table')")
    text = popup.evaluate(INNER_TEXT)
    page.screenshot(path=str(ARTIFACTS / "popup-vi.png"))
    if found := offences(text, atlas.catalog):
        bad["popup"] = found
    assert not bad, bad
    commune = atlas.table("commune_points").set_index("code").loc[site.commune_code, "name"]
    assert f"Xã/phường\t{commune}" in text  # the popup names the commune, not only its level
    assert "1.000 tấn/ngày" in text or "1.200 tấn/ngày" in text or re.search(r"\d\.\d{3} tấn/ngày", text)
    page.close()


def test_the_change_log_says_its_values_in_words(tmp_path, admin):
    import shutil

    from conftest import LAYERS

    from geo_kttt.imports.merge import run_import
    from geo_kttt.server import create_app
    from geo_kttt.store import build, open_atlas

    layers = tmp_path / "layers"
    shutil.copytree(LAYERS, layers)
    update = tmp_path / "update.csv"
    update.write_text("id,name_vi,status,capacity,capacity_unit\n"
                      "solar-binh-hoa,Nhà máy điện mặt trời Bình Hòa,closed,12.5,MWp\n", encoding="utf-8")
    assert run_import(update, "solar_plants", layers, admin, today="2026-12-01").written
    build(layers, admin, tmp_path / "atlas.gpkg")
    app = create_app({"TESTING": True, "ATLAS": str(tmp_path / "atlas.gpkg"), "TILE_URL": "none"})
    text = visible_text(app.test_client().get("/changes?since=2026-11-01").get_data(as_text=True))
    assert not offences(text, open_atlas(tmp_path / "atlas.gpkg").catalog)
    assert "Thay đổi từ ngày 01/11/2026" in text and "01/12/2026" in text
    assert "Đang hoạt động\nĐã đóng" in text and "12,5" in text and "Tình trạng" in text


def test_officers_pages_are_vietnamese(edit_app, ws):
    """The login page, then what a contributor and a reviewer see when signed in."""
    from editing_fixtures import SITE, login

    from geo_kttt.catalog import load_catalog

    catalog, (layer, site) = load_catalog(ws.layers_dir), SITE
    pages = {"con": ["/account", f"/sites/{layer}/{site}", f"/propose/{layer}/{site}", f"/propose/{layer}",
                     "/propose-file"], "rev": ["/review", "/account"]}
    bad = {}
    for who, urls in pages.items():
        web = edit_app.test_client()
        if found := offences(visible_text(web.get("/login").get_data(as_text=True)), catalog):
            bad["/login"] = found
        login(web, who)
        for url in urls:
            r = web.get(url)
            assert r.status_code == 200, (who, url)
            if found := offences(visible_text(r.get_data(as_text=True)), catalog):
                bad[f"{who} {url}"] = found
    assert not bad, bad
