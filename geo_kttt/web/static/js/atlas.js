/* geo-kttt map script: draws district boundaries, site layers, popups and the legend from the
 * JSON configuration built by geo_kttt.maps.build.map_config. The sites arrive per tile of the
 * view as clusters and single sites: from the server (geo_kttt.maps.clusters) or, in a
 * self-contained map, from the embedded table (atlas-local.js); popups load when opened.
 * Every data value becomes a DOM text node or attribute, never HTML. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var state = null;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function symbol(name, color) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "sym");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var use = document.createElementNS(SVG, "use");
    use.setAttribute("href", state.iconsUrl + "#" + name);
    svg.appendChild(use);
    if (color) svg.style.color = color;
    return svg;
  }

  function badge(layer, precision) {
    var span = el("span", "badge precision-" + precision);
    span.style.setProperty("--c", layer.color);
    span.appendChild(symbol(layer.icon));
    return span;
  }

  // Numbers in the page's language (the server writes the same with Babel: 1.987 / 1,987).
  function fmt(x) {
    if (!state.numberFormat) state.numberFormat = new Intl.NumberFormat(state.cfg.locale || state.cfg.lang);
    return state.numberFormat.format(Number(x));
  }

  function capacityText(p) {
    if (p.capacity_text !== undefined) return p.capacity_text;
    if (p.capacity === null || p.capacity === undefined) return null;
    var units = state.cfg.strings.units[p.layer] || {};
    var text = fmt(p.capacity);
    if (p.capacity_max !== null && p.capacity_max !== undefined && p.capacity_max !== p.capacity) {
      text += "–" + fmt(p.capacity_max);
    }
    return text + " " + (units[p.capacity_unit] || p.capacity_unit || "");
  }

  function row(table, label, value) {
    if (value === null || value === undefined || value === "") return;
    var tr = el("tr");
    tr.appendChild(el("th", null, label));
    var td = el("td");
    if (value instanceof Node) td.appendChild(value); else td.textContent = String(value);
    tr.appendChild(td);
    table.appendChild(tr);
  }

  function popupContent(p) {
    var S = state.cfg.strings, F = S.fields, lang = state.cfg.lang;
    var layer = state.layers[p.layer];
    var box = el("div", "site-popup");
    var h = el("h3");
    h.appendChild(badge(layer, p.precision));
    h.appendChild(el("span", null, lang === "vi" ? p.name_vi : p.name_en));
    box.appendChild(h);
    var other = el("p", "other-name", lang === "vi" ? p.name_en : p.name_vi);
    other.lang = lang === "vi" ? "en" : "vi";  // the name in the other language, said to be so
    box.appendChild(other);
    var table = el("table");
    row(table, S.ui.layer, layer.title);
    row(table, F.kind, (S.kinds[p.layer] || {})[p.kind] || p.kind);
    row(table, F.operator, p.operator);
    row(table, F.status, S.statuses[p.status] || p.status);
    row(table, F.capacity, capacityText(p));
    row(table, F.year, p.year);
    row(table, S.ui.district, p.district_name || p.district_code);
    row(table, S.ui.commune, p.commune_name);
    var prec = S.precisions[p.precision] || {label: p.precision, help: ""};
    var pv = el("span", state.imprecise(p) ? "imprecise" : null, prec.label);
    pv.title = prec.help;
    row(table, F.location_precision, pv);
    row(table, F.verified, p.verified ? S.ui.yes : S.ui.no);
    box.appendChild(table);
    if (state.imprecise(p)) box.appendChild(el("p", "note", prec.help));
    if (p.sources && p.sources.length) {
      box.appendChild(el("h4", null, S.ui.sources));
      var ul = el("ul", "sources");
      p.sources.forEach(function (s) {
        var li = el("li");
        if (s.url && /^https?:\/\//.test(s.url)) {
          var a = el("a", null, s.text);
          a.href = s.url; a.rel = "noopener noreferrer"; a.target = "_blank";
          li.appendChild(a);
        } else {
          li.textContent = s.text;
        }
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
    var link = state.cfg.pageLink;
    if (link && link.url) {
      var a = el("a", "site-page-link", link.label);
      a.href = link.url.replace("{layer}", encodeURIComponent(p.layer)).replace("{id}", encodeURIComponent(p.id));
      box.appendChild(el("p")).appendChild(a);
    }
    return box;
  }

  function escapeHtml(text) {
    var d = document.createElement("div");
    d.textContent = text;
    return d.innerHTML;
  }

  // One popup for all sites (a popup object per marker costs too much at 100,000 sites).
  function showPopup(latlng, content) {
    state.map.closePopup(state.popup);
    state.popup.setLatLng(latlng).setContent(content).openOn(state.map);
  }

  // A site's popup: every field, from the embedded table or fetched when it opens.
  function openSite(layer, id, latlng) {
    var key = layer + "/" + id, S = state.cfg.strings.ui;
    state.popupKey = key;
    var still = function () { return state.popupKey === key && state.map.hasLayer(state.popup); };
    showPopup(latlng, el("div", "site-popup", S.loading));
    state.source.site(layer, id)
      .then(function (f) { if (still()) showPopup(latlng, popupContent(f.properties)); })
      .catch(function () { if (still()) showPopup(latlng, el("div", "site-popup", S.load_failed)); });
  }

  // Markers sharing one point (several sites known only to the same commune, or a cluster and a
  // site there) are drawn on a small ring around it, in screen pixels, so each stays clickable.
  function ringOffset(k, n) {
    if (n < 2) return [0, 0];
    var perRing = 8, ring = Math.floor(k / perRing), inRing = Math.min(perRing, n - ring * perRing);
    var angle = 2 * Math.PI * (k % perRing) / inRing - Math.PI / 2, r = 26 + 16 * ring;
    return [Math.round(r * Math.cos(angle)), Math.round(r * Math.sin(angle))];
  }

  // One icon object per layer, precision and offset; its DOM is built only when a marker is shown.
  var SiteIcon = L.DivIcon.extend({
    createIcon: function (old) {
      var div = L.DivIcon.prototype.createIcon.call(this, old);
      div.textContent = "";
      div.appendChild(badge(this.options.layer, this.options.precision));
      return div;
    }
  });

  function iconFor(layer, precision, offset) {
    var key = layer.id + "|" + precision + "|" + offset.join(",");
    if (!state.icons[key]) {
      state.icons[key] = new SiteIcon({layer: layer, precision: precision, html: "",
        iconSize: L.point(24, 24), iconAnchor: L.point(12 - offset[0], 12 - offset[1]),
        className: "site-marker layer-" + layer.id + " precision-" + precision});
    }
    return state.icons[key];
  }

  // A site: [lon, lat, id, name, precision].
  function siteMarker(layer, s, offset) {
    var m = L.marker([s[1], s[0]], {icon: iconFor(layer, s[4], offset), title: s[3]});
    m.site = {layer: layer.id, id: s[2]};
    return m;
  }

  // A cluster: [lon, lat, count, west, south, east, north].
  function clusterMarker(layer, c, offset) {
    var size = c[2] >= 10000 ? 46 : c[2] >= 1000 ? 40 : 34;
    var d = el("div", "cluster-inner size-" + size);
    d.style.setProperty("--c", layer.color);
    d.appendChild(el("span", null, fmt(c[2])));
    var icon = L.divIcon({html: d, className: "site-cluster layer-" + layer.id, iconSize: L.point(size, size),
      iconAnchor: L.point(size / 2 - offset[0], size / 2 - offset[1])});
    var m = L.marker([c[1], c[0]], {icon: icon, title: layer.title + ": " + fmt(c[2])});
    m.cluster = c;
    return m;
  }

  // A click on a cluster zooms in far enough to split it (or to show its sites one by one).
  function zoomInto(c) {
    var map = state.map, z = map.getZoom(), off = state.cfg.clusters.offZoom;
    var bounds = L.latLngBounds([c[4], c[3]], [c[6], c[5]]);
    var target = c[3] === c[5] && c[4] === c[6] ? off : Math.min(map.getBoundsZoom(bounds), off);
    map.setView(bounds.getCenter(), Math.min(Math.max(target, z + 1), map.getMaxZoom()));
  }

  function drawTile(key, data) {
    var at = {}, markers = [];
    state.cfg.layers.forEach(function (l) {
      var part = data.layers[l.id];
      if (!part) return;
      var add = function (v, isCluster) {
        var k = v[0].toFixed(6) + "," + v[1].toFixed(6);
        (at[k] = at[k] || []).push({layer: l, v: v, cluster: isCluster});
      };
      part.clusters.forEach(function (c) { add(c, true); });
      part.sites.forEach(function (s) { add(s, false); });
    });
    Object.keys(at).forEach(function (k) {
      var here = at[k];
      here.forEach(function (e, i) {
        var off = ringOffset(i, here.length);
        var m = e.cluster ? clusterMarker(e.layer, e.v, off) : siteMarker(e.layer, e.v, off);
        state.groups[e.layer.id].addLayer(m);
        markers.push([e.layer.id, m]);
      });
    });
    state.tiles[key] = {markers: markers, count: data.count};
    setTimeout(placeLabels, 0);  // district names move clear of the markers just drawn
  }

  function removeTile(key) {
    state.tiles[key].markers.forEach(function (p) { state.groups[p[0]].removeLayer(p[1]); });
    delete state.tiles[key];
  }

  // The tiles of the view at the current zoom (256 px, as the basemap's), within the sites' extent.
  function viewTiles() {
    // Tiles are cut at whole zooms; the view, at a fractional zoom, is projected at that one.
    var map = state.map, z = Math.round(map.getZoom()), n = Math.pow(2, z), view = map.getBounds();
    var b = L.bounds(map.project(view.getNorthWest(), z), map.project(view.getSouthEast(), z));
    var ext = state.cfg.extent, keys = [];
    var lo = ext ? map.project([ext[3], ext[0]], z) : L.point(0, 0);
    var hi = ext ? map.project([ext[1], ext[2]], z) : L.point(n * 256, n * 256);
    var x0 = Math.max(0, Math.floor(Math.max(b.min.x, lo.x) / 256));
    var x1 = Math.min(n - 1, Math.floor(Math.min(b.max.x, hi.x) / 256));
    var y0 = Math.max(0, Math.floor(Math.max(b.min.y, lo.y) / 256));
    var y1 = Math.min(n - 1, Math.floor(Math.min(b.max.y, hi.y) / 256));
    for (var x = x0; x <= x1; x++) {
      for (var y = y0; y <= y1; y++) keys.push(z + "/" + x + "/" + y);
    }
    return keys;
  }

  // Ask for the tiles the view lacks; the old ones stay until every new one has arrived.
  function refresh() {
    var keys = viewTiles();
    state.wanted = {};
    keys.forEach(function (k) { state.wanted[k] = true; });
    keys.forEach(function (k) { if (!state.tiles[k] && !state.pending[k]) load(k); });
    settle();
  }

  function load(key) {
    var p = key.split("/").map(Number);
    state.pending[key] = true;
    state.map.getContainer().setAttribute("data-sites-loaded", "loading");
    state.source.tile(p[0], p[1], p[2]).then(function (data) {
      delete state.pending[key];
      if (state.wanted[key]) drawTile(key, data);
      settle();
    }).catch(function () {
      delete state.pending[key];
      state.failed = true;
      settle();
    });
  }

  function settle() {
    var k, total = 0;
    for (k in state.wanted) if (state.pending[k]) return;
    for (k in state.tiles) {
      if (state.wanted[k]) total += state.tiles[k].count; else removeTile(k);
    }
    state.map.getContainer().setAttribute("data-sites-loaded", state.failed ? "failed" : String(total));
    state.failed = false;
    document.dispatchEvent(new CustomEvent("geokttt:loaded", {detail: {count: total}}));
  }

  // District names sit in a pane of their own below the markers (paths 400 < names 450 <
  // markers 600), at a point of the district clear of the sites (geo_kttt.maps.labels).
  function districtLabel(f, layer) {
    var p = f.properties, at = p.label ? L.latLng(p.label[0][1], p.label[0][0]) : layer.getCenter();
    var tip = L.tooltip(at, {permanent: true, direction: "center", className: "district-label",
      pane: "districtLabels", interactive: false, content: el("span", null, p.name)}).addTo(state.map);
    state.labels.push({tip: tip, places: (p.label || []).map(function (c) { return L.latLng(c[1], c[0]); })});
  }

  // After each zoom and once the sites are drawn: each name moves to the first of its places
  // whose box touches no marker or cluster shown, nor a name placed before it.
  function placeLabels() {
    var map = state.map, origin = map.getContainer().getBoundingClientRect();
    var taken = Array.prototype.map.call(
      map.getPane("markerPane").querySelectorAll(".leaflet-marker-icon"), function (e) {
        var r = e.getBoundingClientRect();
        return {l: r.left - origin.left - 3, t: r.top - origin.top - 3, r: r.right - origin.left + 3,
          b: r.bottom - origin.top + 3};
      });
    var free = function (b) {
      return taken.every(function (o) { return b.r <= o.l || o.r <= b.l || b.b <= o.t || o.b <= b.t; });
    };
    state.labels.forEach(function (lab) {
      var e = lab.tip.getElement();
      if (!e || !lab.places.length) return;
      var w = e.offsetWidth, h = e.offsetHeight, chosen = null;
      for (var i = 0; i < lab.places.length && !chosen; i++) {
        var p = map.latLngToContainerPoint(lab.places[i]);
        var b = {l: p.x - w / 2, t: p.y - h / 2, r: p.x + w / 2, b: p.y + h / 2};
        if (free(b)) chosen = {at: lab.places[i], box: b};
      }
      if (!chosen) {  // nowhere clear: at its first place, under the markers
        var q = map.latLngToContainerPoint(lab.places[0]);
        chosen = {at: lab.places[0], box: {l: q.x - w / 2, t: q.y - h / 2, r: q.x + w / 2, b: q.y + h / 2}};
      }
      lab.tip.setLatLng(chosen.at);
      taken.push(chosen.box);
    });
  }

  function districtLayer() {
    var cfg = state.cfg, ch = cfg.choropleth;
    var pane = state.map.createPane("districtLabels");
    pane.style.zIndex = 450;
    pane.style.pointerEvents = "none";
    var gj = L.geoJSON(cfg.districts, {
      interactive: !!ch,
      style: function (f) {
        var chosen = cfg.fit && f.properties.code === cfg.fit;  // the district of the view: outlined
        return {color: chosen ? "#1f5f8b" : "#3c3c3c", weight: chosen ? 3.5 : 1.3, opacity: chosen ? 1 : 0.8,
          dashArray: null, className: chosen ? "district-chosen" : "district-line",
          fillColor: ch ? ch.colors[f.properties.code] : "#ffffff", fillOpacity: ch ? 0.65 : 0};
      },
      onEachFeature: function (f, layer) {
        districtLabel(f, layer);
        if (ch) {
          var t = el("div");
          t.appendChild(el("strong", null, f.properties.name));
          var code = f.properties.code;
          t.appendChild(el("div", null, ch.label + ": " + (ch.texts ? ch.texts[code] : fmt(ch.values[code] || 0))));
          layer.bindPopup(t);
        }
      }
    });
    gj.addTo(state.map);
    return gj;
  }

  function unitLayer() {
    var units = state.cfg.units;
    if (!units) return null;
    return L.geoJSON(units, {
      style: function (f) {
        return {color: f.properties.split ? "#b35806" : "#2b6c99", weight: f.properties.split ? 2 : 1,
          dashArray: f.properties.split ? "5 4" : null, fillColor: f.properties.split ? "#fdb863" : "#9ecae1",
          fillOpacity: 0.18};
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(el("span", null, f.properties.name), {sticky: true});
        var box = el("div");
        box.appendChild(el("strong", null, f.properties.name));
        if (f.properties.split) box.appendChild(el("div", "note", state.cfg.strings.ui.split_unit));
        layer.bindPopup(box);
      }
    }).addTo(state.map);
  }

  function legendRow(box, swatch, text, cls) {
    var r = el("div", "legend-row" + (cls ? " " + cls : ""));
    r.appendChild(swatch);
    r.appendChild(el("span", null, text));
    box.appendChild(r);
  }

  function updateLegend() {
    var box = state.legendBox, S = state.cfg.strings.ui;
    if (!box) return;
    box.textContent = "";
    var head = el("button", "legend-toggle", S.legend);
    head.type = "button";
    head.setAttribute("aria-expanded", String(!state.legendCollapsed));
    head.addEventListener("click", function () {
      state.legendCollapsed = !state.legendCollapsed;
      updateLegend();
    });
    box.appendChild(head);
    box.classList.toggle("collapsed", !!state.legendCollapsed);
    if (state.legendCollapsed) return;
    state.cfg.layers.forEach(function (l) {
      if (!state.map.hasLayer(state.groups[l.id])) return;
      if (l.count === 0) return;
      legendRow(box, badge(l, "exact"), l.title + " (" + fmt(l.count) + ")", "legend-layer layer-" + l.id);
    });
    var grey = {id: "x", color: "#555", icon: "dot"};
    legendRow(box, badge(grey, "exact"), S.precise);
    legendRow(box, badge(grey, "commune"), S.imprecise);
    var line = el("span", "swatch-line");
    legendRow(box, line, S.districts);
    if (state.cfg.units) {
      legendRow(box, el("span", "swatch unit"), S.new_unit);
      legendRow(box, el("span", "swatch unit split"), S.split_short);
    }
    var ch = state.cfg.choropleth;
    if (ch) {
      box.appendChild(el("h4", null, ch.label));
      ch.classes.forEach(function (c) {
        var sw = el("span", "swatch"); sw.style.background = c.color;
        legendRow(box, sw, c.text || (c.from === c.to ? fmt(c.from) : fmt(c.from) + " – " + fmt(c.to)));
      });
      var z = el("span", "swatch zero");
      legendRow(box, z, "0 / " + S.no_data);
    }
  }

  function setVisible(id, on) {
    var g = state.groups[id];
    if (!g) return;
    if (on) state.map.addLayer(g); else state.map.removeLayer(g);
    updateLegend();
    placeLabels();
    document.dispatchEvent(new CustomEvent("geokttt:layers", {detail: {visible: visibleLayers()}}));
  }

  function visibleLayers() {
    return state.cfg.layers.map(function (l) { return l.id; })
      .filter(function (id) { return state.map.hasLayer(state.groups[id]); });
  }

  // Zoom to a box, or to a site (at a zoom where it is drawn by itself) and open its popup.
  function focus(target) {
    if (target.bbox) {
      var b = target.bbox;
      state.map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {maxZoom: 14});
      return true;
    }
    if (!state.layers[target.layer]) return false;
    if (!state.map.hasLayer(state.groups[target.layer])) setVisible(target.layer, true);
    var key = target.layer + "/" + target.id;
    state.popupKey = key;
    state.source.site(target.layer, target.id).then(function (f) {
      if (state.popupKey !== key) return;
      var c = f.geometry.coordinates, ll = L.latLng(c[1], c[0]), map = state.map;
      var zoom = typeof f.properties.zoom === "number" ? f.properties.zoom : state.cfg.clusters.offZoom;
      map.setView(ll, Math.min(Math.max(map.getZoom(), zoom), map.getMaxZoom()), {animate: false});
      showPopup(ll, popupContent(f.properties));
    }).catch(function () {});
    return true;
  }

  // The basemap's attribution shows once one of its tiles has loaded (not for a basemap
  // that never arrives, offline); so does the page footer's basemap credit.
  function creditTilesWhenLoaded(map) {
    map.eachLayer(function (layer) {
      if (!(layer instanceof L.TileLayer) || !layer.getAttribution()) return;
      var text = layer.getAttribution();
      if (map.attributionControl) map.attributionControl.removeAttribution(text);
      layer.once("tileload", function () {
        if (map.attributionControl) map.attributionControl.addAttribution(text);
        document.querySelectorAll("[data-basemap-credit]").forEach(function (e) { e.hidden = false; });
        map.getContainer().setAttribute("data-basemap", "loaded");
      });
    });
  }

  // The view opens on the district of the link (its outline, not only its sites), else on
  // the units shown (the 2025 communes) or the province, beside the legend rather than under it.
  // Not animated: a focus link zooms to its site as soon as the sites arrive, and an
  // animation still running then would swallow that zoom.
  function fitView(map, cfg) {
    var bounds = null;
    if (cfg.fit) {
      state.districtLayer.eachLayer(function (l) {
        if (l.feature.properties.code === cfg.fit) bounds = l.getBounds();
      });
    } else if (state.unitLayer && state.unitLayer.getLayers().length) {
      bounds = state.unitLayer.getBounds();
    } else if (state.districtLayer.getLayers().length) {
      bounds = state.districtLayer.getBounds();
    }
    if (!bounds) return;
    var legend = state.legendBox && !state.legendCollapsed ? state.legendBox.offsetWidth + 20 : 0;
    var size = map.getSize(), room = size.x - legend > size.x * 0.6;  // else the legend may overlap
    map.fitBounds(bounds, {animate: false, paddingTopLeft: L.point(10, 10),
      paddingBottomRight: L.point(room ? legend : 10, 10)});
  }

  function init(map, cfg) {
    state = {map: map, cfg: cfg, labels: [], popup: L.popup({maxWidth: 340, minWidth: 220, maxHeight: 320, offset: L.point(0, -6)}),
      groups: {}, layers: {}, icons: {}, tiles: {}, pending: {}, wanted: {},
      iconsUrl: typeof cfg.iconsUrl === "string" ? cfg.iconsUrl : "/static/img/icons.svg"};
    cfg.clusters = cfg.clusters || {offZoom: 15};
    state.source = cfg.sites ? geoKtttSources.embedded(cfg) : geoKtttSources.server(cfg);
    var imprecise = cfg.imprecise || ["commune", "district"];
    state.imprecise = function (p) { return imprecise.indexOf(p.precision) >= 0; };
    // Fractional zoom: a district or the province fills the map instead of the next whole zoom.
    map.options.zoomSnap = 0.25;
    map.options.zoomDelta = 0.5;
    L.control.scale({imperial: false}).addTo(map);  // metric only
    creditTilesWhenLoaded(map);
    // Zoom limits of a provincial atlas; fewer zoom levels also means less clustering work.
    map.setMinZoom(cfg.minZoom || 8);
    map.setMaxZoom(cfg.maxZoom || 18);
    state.districtLayer = districtLayer();
    state.unitLayer = unitLayer();
    cfg.layers.forEach(function (l) {
      state.layers[l.id] = l;
      state.groups[l.id] = L.featureGroup().on("click", function (e) {
        var m = e.layer;
        if (m.cluster) zoomInto(m.cluster); else openSite(m.site.layer, m.site.id, m.getLatLng());
      });
      if (cfg.visible.indexOf(l.id) >= 0) state.groups[l.id].addTo(map);
    });
    var legend = L.control({position: "bottomright"});
    legend.onAdd = function () {
      state.legendBox = el("div", "atlas-legend leaflet-bar");
      L.DomEvent.disableClickPropagation(state.legendBox);
      L.DomEvent.disableScrollPropagation(state.legendBox);
      return state.legendBox;
    };
    legend.addTo(map);
    // Collapsed on a small map (a phone, a district page's map) so it never covers the map.
    state.legendCollapsed = map.getSize().y < 520 || map.getSize().x < 760;
    updateLegend();
    fitView(map, cfg);
    if (cfg.layerControl) {
      var overlays = {};
      // Leaflet writes overlay names with innerHTML: give it the title as escaped text.
      cfg.layers.forEach(function (l) { overlays[escapeHtml(l.title)] = state.groups[l.id]; });
      L.control.layers(null, overlays, {collapsed: false}).addTo(map);
      map.on("overlayadd overlayremove", updateLegend);
    }
    updateLegend();
    map.on("moveend", refresh);
    map.on("zoomend", function () { setTimeout(placeLabels, 0); });
    refresh();
    if (cfg.focus) focus(cfg.focus);
    window.geoKtttMap = map;
  }

  window.geoKttt = {init: init, setVisible: setVisible, visibleLayers: visibleLayers, focus: focus,
    popupContent: function (p) { return popupContent(p); }};
})();
