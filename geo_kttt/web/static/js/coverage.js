/* geo-kttt coverage page: units coloured served/unserved with a popup each, service areas,
 * a legend, and the sortable table. Data arrives as JSON and becomes DOM text, never HTML. */
(function () {
  "use strict";
  var SERVED = "#1a9850", UNSERVED = "#d7301f", AREA = "#8c510a";
  var state = {byCode: {}};

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // Numbers in the page's language, as the table writes them (the server uses Babel).
  function num(v, lang, digits) {
    return new Intl.NumberFormat(lang, {minimumFractionDigits: digits, maximumFractionDigits: digits}).format(Number(v));
  }

  function line(box, label, value) {
    var d = el("div");
    d.appendChild(el("span", "k", label + ": "));
    d.appendChild(el("span", null, value));
    box.appendChild(d);
  }

  function popup(p, S, lang) {
    var box = el("div", "cov-popup");
    box.appendChild(el("strong", null, p.name));
    if (p.district_name && p.district_name !== p.name) box.appendChild(el("div", "muted", p.district_name));
    box.appendChild(el("div", p.served ? "cov-ok" : "cov-bad", p.served ? S.cov_served : S.cov_unserved));
    line(box, S.cov_basis, p.basis);
    line(box, S.cov_nearest, p.nearest || S.cov_none);
    if (p.nearest_km !== null) line(box, S.cov_distance, num(p.nearest_km, lang, 1) + " km");
    if (p.note) box.appendChild(el("div", "note", p.note));
    if (p.served_by) line(box, S.cov_served_by, p.served_by);
    if (p.area_within_radius !== null) line(box, S.cov_within, num(p.area_within_radius, lang, 0) + " %");
    return box;
  }

  function legend(map, S) {
    var ctl = L.control({position: "bottomleft"});
    ctl.onAdd = function () {
      var box = el("div", "cov-legend");
      [[SERVED, S.cov_served, "unit"], [UNSERVED, S.cov_unserved, "unit bad"], [AREA, S.cov_area, "area"]]
        .forEach(function (r) {
          var row = el("div", "legend-row"), sw = el("span", "cov-swatch " + r[2]);
          sw.style.borderColor = r[0];
          sw.style.backgroundColor = r[0];
          row.appendChild(sw);
          row.appendChild(el("span", null, r[1]));
          box.appendChild(row);
        });
      return box;
    };
    ctl.addTo(map);
  }

  function init(map, cfg) {
    var S = cfg.strings;
    L.geoJSON(cfg.areas, {
      interactive: false,
      style: function (f) {
        return {color: AREA, weight: 1.5, dashArray: f.properties.radius_km ? "6 4" : null,
          fillColor: AREA, fillOpacity: 0.06};
      }
    }).addTo(map);
    var units = L.geoJSON(cfg.units, {
      style: function (f) {
        var ok = f.properties.served;
        return {color: ok ? SERVED : UNSERVED, weight: ok ? 0.7 : 2, fillColor: ok ? SERVED : UNSERVED,
          fillOpacity: ok ? 0.1 : 0.4};
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(el("span", null, f.properties.name), {sticky: true});
        layer.bindPopup(popup(f.properties, S, cfg.lang));
        state.byCode[f.properties.code] = layer;
      }
    }).addTo(map);
    if (units.getLayers().length) {
      map.whenReady(function () {
        map.invalidateSize();
        map.options.zoomSnap = 0.25;  // the province fills the frame instead of a third of it
        map.fitBounds(units.getBounds(), {padding: [8, 8]});
      });
    }
    legend(map, S);
    state.map = map;
    state.units = units;
  }

  function show(code) {
    var layer = state.byCode[code];
    if (!layer) return;
    state.map.fitBounds(layer.getBounds(), {maxZoom: 12});
    layer.openPopup(layer.getBounds().getCenter());
    document.getElementById("coverage-map").scrollIntoView({behavior: "smooth", block: "center"});
  }

  function sortable(table) {
    var heads = table.querySelectorAll("thead th");
    var lang = document.documentElement.lang || "vi";
    heads.forEach(function (th, col) {
      th.setAttribute("aria-sort", "none");
      th.tabIndex = 0;
      function go() {
        var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
        heads.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir);
        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].getAttribute("data-sort"), y = b.cells[col].getAttribute("data-sort");
          if (x === "" || y === "") return x === y ? 0 : (x === "" ? 1 : -1);
          var nx = Number(x), ny = Number(y), c;
          c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, lang);
          return dir === "ascending" ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", go);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(); } });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table[data-cov-sortable]").forEach(sortable);
    /* Another layer has other statuses: let the server use that layer's defaults. */
    var layerSelect = document.querySelector(".coverage select[name=layer]");
    if (layerSelect) {
      layerSelect.addEventListener("change", function () {
        document.querySelectorAll(".coverage input[name=status]").forEach(function (i) { i.disabled = true; });
      });
    }
    document.querySelectorAll("button[data-show-unit]").forEach(function (b) {
      b.addEventListener("click", function () { show(b.getAttribute("data-show-unit")); });
    });
  });
  window.geoKtttCoverage = {init: init, show: show, state: state};
})();
