/* geo-kttt map script: draws district boundaries, site layers (clustered), popups and the
 * legend from the JSON configuration built by geo_kttt.maps.map_config.
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
    return box;
  }

  function escapeHtml(text) {
    var d = document.createElement("div");
    d.textContent = text;
    return d.innerHTML;
  }

  // One popup for all sites (a popup object per marker costs too much at 100,000 sites).
  function showPopup(marker, content) {
    state.map.closePopup(state.popup);
    state.popup.setLatLng(marker.getLatLng()).setContent(content).openOn(state.map);
  }

  function openSite(marker) {
    var p = marker.feature.properties;
    state.popupMarker = marker;
    if (p.sources !== undefined || !state.cfg.siteUrl) {
      showPopup(marker, popupContent(p));
      return;
    }
    showPopup(marker, el("div", "site-popup", state.cfg.strings.ui.loading));
    var url = state.cfg.siteUrl.replace("{layer}", encodeURIComponent(p.layer))
      .replace("{id}", encodeURIComponent(p.id));
    var still = function () { return state.popupMarker === marker && state.map.hasLayer(state.popup); };
    fetch(url).then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (f) {
        marker.feature.properties = f.properties;
        if (still()) showPopup(marker, popupContent(f.properties));
      })
      .catch(function () {
        if (still()) showPopup(marker, el("div", "site-popup", state.cfg.strings.ui.load_failed));
      });
  }

  function clusterIcon(layer) {
    return function (cluster) {
      var d = el("div", "cluster-inner");
      d.style.setProperty("--c", layer.color);
      d.appendChild(el("span", null, fmt(cluster.getChildCount())));
      return L.divIcon({html: d, className: "site-cluster layer-" + layer.id, iconSize: L.point(34, 34)});
    };
  }

  // One icon object per layer and precision; its DOM is built only when a marker is shown.
  var SiteIcon = L.DivIcon.extend({
    createIcon: function (old) {
      var div = L.DivIcon.prototype.createIcon.call(this, old);
      div.textContent = "";
      div.appendChild(badge(this.options.layer, this.options.precision));
      return div;
    }
  });

  // Sites sharing one point (e.g. several sites known only to the same commune) are drawn on a
  // small ring around it, in screen pixels, so that each stays visible and clickable.
  function ringOffset(k, n) {
    if (n < 2) return [0, 0];
    var perRing = 8, ring = Math.floor(k / perRing), inRing = Math.min(perRing, n - ring * perRing);
    var angle = 2 * Math.PI * (k % perRing) / inRing - Math.PI / 2, r = 26 + 16 * ring;
    return [Math.round(r * Math.cos(angle)), Math.round(r * Math.sin(angle))];
  }

  function iconFor(layer, precision, offset) {
    var key = layer.id + "|" + precision + "|" + offset.join(",");
    if (!state.icons[key]) {
      state.icons[key] = new SiteIcon({layer: layer, precision: precision, html: "",
        iconSize: L.point(24, 24), iconAnchor: L.point(12 - offset[0], 12 - offset[1]),
        className: "site-marker layer-" + layer.id + " precision-" + precision});
    }
    return state.icons[key];
  }

  function makeMarker(f, offset) {
    var p = f.properties, layer = state.layers[p.layer];
    if (!layer) return null;
    var c = f.geometry.coordinates;
    var icon = iconFor(layer, p.precision, offset);
    var title = p.name || (state.cfg.lang === "vi" ? p.name_vi : p.name_en);
    var m = L.marker([c[1], c[0]], {icon: icon, title: title});
    m.feature = f;
    state.markers[p.layer + "/" + p.id] = m;
    return m;
  }

  function addSites(fc) {
    // Layers sharing a point get one ring position each; a layer's own sites there cluster.
    var per = {}, shared = {};
    var where = function (f) { return f.geometry.coordinates.map(function (v) { return v.toFixed(6); }).join(","); };
    fc.features.forEach(function (f) {
      var k = where(f), here = shared[k] = shared[k] || [];
      if (here.indexOf(f.properties.layer) < 0) here.push(f.properties.layer);
    });
    fc.features.forEach(function (f) {
      var here = shared[where(f)];
      var m = makeMarker(f, ringOffset(here.indexOf(f.properties.layer), here.length));
      if (m) (per[f.properties.layer] = per[f.properties.layer] || []).push(m);
    });
    // One layer per task: the first layer's clusters show while the others are still added.
    var ids = Object.keys(state.groups).sort(function (a, b) {
      return Number(state.map.hasLayer(state.groups[b])) - Number(state.map.hasLayer(state.groups[a]));
    });
    var next = function () {
      var id = ids.shift();
      if (id === undefined) { done(fc); return; }
      state.groups[id].addLayers(per[id] || []);
      state.shown[id] = (per[id] || []).length;
      setTimeout(next, 0);
    };
    next();
  }

  function done(fc) {
    state.map.getContainer().setAttribute("data-sites-loaded", String(fc.features.length));
    updateLegend();
    document.dispatchEvent(new CustomEvent("geokttt:loaded", {detail: {count: fc.features.length}}));
    if (state.cfg.focus) focus(state.cfg.focus);
  }

  function loadSites() {
    var cfg = state.cfg;
    if (cfg.sites) { addSites(cfg.sites); return; }
    state.map.getContainer().setAttribute("data-sites-loaded", "loading");
    fetch(cfg.sitesUrl).then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(addSites)
      .catch(function () { state.map.getContainer().setAttribute("data-sites-loaded", "failed"); });
  }

  function districtLayer() {
    var cfg = state.cfg, ch = cfg.choropleth;
    var gj = L.geoJSON(cfg.districts, {
      interactive: !!ch,
      style: function (f) {
        return {color: "#3c3c3c", weight: 1.3, opacity: 0.8, dashArray: null,
          fillColor: ch ? ch.colors[f.properties.code] : "#ffffff", fillOpacity: ch ? 0.65 : 0};
      },
      onEachFeature: function (f, layer) {
        var label = el("span", null, f.properties.name);
        layer.bindTooltip(label, {permanent: true, direction: "center", className: "district-label"});
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
      var n = state.shown[l.id] === undefined ? l.count : state.shown[l.id];
      if (n === 0) return;
      legendRow(box, badge(l, "exact"), l.title + " (" + fmt(n) + ")", "legend-layer layer-" + l.id);
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
    document.dispatchEvent(new CustomEvent("geokttt:layers", {detail: {visible: visibleLayers()}}));
  }

  function visibleLayers() {
    return state.cfg.layers.map(function (l) { return l.id; })
      .filter(function (id) { return state.map.hasLayer(state.groups[id]); });
  }

  function focus(target) {
    if (target.bbox) {
      var b = target.bbox;
      state.map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {maxZoom: 14});
      return true;
    }
    var m = state.markers[target.layer + "/" + target.id];
    if (!m) return false;
    var g = state.groups[target.layer];
    if (!state.map.hasLayer(g)) setVisible(target.layer, true);
    g.zoomToShowLayer(m, function () { openSite(m); });
    return true;
  }

  function init(map, cfg) {
    state = {map: map, cfg: cfg, popup: L.popup({maxWidth: 340, minWidth: 220, maxHeight: 320, offset: L.point(0, -6)}),
      groups: {}, layers: {}, markers: {}, shown: {}, icons: {},
      iconsUrl: typeof cfg.iconsUrl === "string" ? cfg.iconsUrl : "/static/img/icons.svg"};
    var imprecise = cfg.imprecise || ["commune", "district"];
    state.imprecise = function (p) { return imprecise.indexOf(p.precision) >= 0; };
    // Zoom limits of a provincial atlas; fewer zoom levels also means less clustering work.
    map.setMinZoom(cfg.minZoom || 8);
    map.setMaxZoom(cfg.maxZoom || 18);
    state.districtLayer = districtLayer();
    state.unitLayer = unitLayer();
    cfg.layers.forEach(function (l) {
      state.layers[l.id] = l;
      state.groups[l.id] = L.markerClusterGroup({maxClusterRadius: 40,
        showCoverageOnHover: false, disableClusteringAtZoom: 15, iconCreateFunction: clusterIcon(l)});
      state.groups[l.id].on("click", function (e) { openSite(e.layer); });
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
    state.legendCollapsed = map.getSize().y < 420 || map.getSize().x < 500;
    // Not animated: a focus link zooms to its site as soon as the sites arrive, and an
    // animation still running then would swallow that zoom.
    var still = {animate: false};
    if (cfg.fit) {
      state.districtLayer.eachLayer(function (l) {
        if (l.feature.properties.code === cfg.fit) map.fitBounds(l.getBounds(), still);
      });
    } else if (state.unitLayer && state.unitLayer.getLayers().length) {
      map.fitBounds(state.unitLayer.getBounds(), still);
    } else if (state.districtLayer.getLayers().length) {
      map.fitBounds(state.districtLayer.getBounds(), still);
    }
    if (cfg.layerControl) {
      var overlays = {};
      // Leaflet writes overlay names with innerHTML: give it the title as escaped text.
      cfg.layers.forEach(function (l) { overlays[escapeHtml(l.title)] = state.groups[l.id]; });
      L.control.layers(null, overlays, {collapsed: false}).addTo(map);
      map.on("overlayadd overlayremove", updateLegend);
    }
    updateLegend();
    loadSites();
    window.geoKtttMap = map;
  }

  window.geoKttt = {init: init, setVisible: setVisible, visibleLayers: visibleLayers, focus: focus,
    popupContent: function (p) { return popupContent(p); }};
})();
