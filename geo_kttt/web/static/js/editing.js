/* geo-kttt editing pages: the small maps of the site, proposal and review pages, and the
 * position part of the proposal form (click or drag the pin, typed WGS 84 or VN-2000,
 * "use my location"), with the distance from the current position before sending.
 * Configuration arrives as JSON (#edit-data); every value becomes DOM text, never HTML. */
(function () {
  "use strict";
  var node = document.getElementById("edit-data");
  var box = document.getElementById("edit-map");
  if (!node || !box || !window.L) return;
  var cfg = JSON.parse(node.textContent);
  var map = L.map(box, {minZoom: 7, maxZoom: 19});
  window.geoKtttEditMap = map;
  if (cfg.tiles && String(cfg.tiles).toLowerCase() !== "none") {
    L.tileLayer(cfg.tiles, {attribution: cfg.attribution, maxZoom: 19}).addTo(map);
  }
  var districts = L.geoJSON(cfg.districts, {interactive: false,
    style: {color: "#3c3c3c", weight: 1, opacity: 0.7, fillOpacity: 0}}).addTo(map);
  function pin(cls) {
    return L.divIcon({className: "edit-pin " + cls, html: "", iconSize: [18, 18], iconAnchor: [9, 9]});
  }
  function ll(p) { return L.latLng(p[1], p[0]); }
  function metres(d) {
    return Math.round(d).toLocaleString(cfg.lang === "vi" ? "vi-VN" : "en-GB") + " m";
  }

  // The review page: old and new positions, joined by a line.
  if (cfg.points) {
    var pts = cfg.points.map(function (p) { return [p.lat, p.lon]; });
    if (pts.length) map.fitBounds(L.latLngBounds(pts).pad(0.6), {maxZoom: 16});
    else map.fitBounds(districts.getBounds());
    cfg.points.forEach(function (p) {
      L.marker([p.lat, p.lon], {icon: pin(p.kind), interactive: false, keyboard: false}).addTo(map);
    });
    if (pts.length === 2) L.polyline(pts, {color: "#b2182b", weight: 2, dashArray: "4 4"}).addTo(map);
    box.setAttribute("data-points", String(pts.length));
    return;
  }
  var here = cfg.current ? ll(cfg.current) : null;
  if (here) {
    L.marker(here, {icon: pin("old"), interactive: false, keyboard: false}).addTo(map);
    map.setView(here, 14);
  } else {
    map.fitBounds(districts.getBounds());
  }
  var form = document.getElementById("propose-form");
  if (!form || !document.getElementById("position")) return;

  // The proposal form's position part.
  var $ = function (id) { return document.getElementById(id); };
  var lon = $("f-lon"), lat = $("f-lat"), east = $("f-easting"), north = $("f-northing");
  var grid = $("f-vn_crs"), acc = $("f-accuracy"), out = $("distance");
  var start = lon.value && lat.value ? L.latLng(Number(lat.value), Number(lon.value)) : (here || map.getCenter());
  var marker = L.marker(start, {icon: pin("new"), draggable: true, title: cfg.strings.distance_from}).addTo(map);
  function method() {
    var r = form.querySelector("input[name=position_method]:checked");
    return r ? r.value : "";
  }
  function setMethod(value) {
    var r = form.querySelector("input[name=position_method][value='" + value + "']");
    if (r) r.checked = true;
    show();
  }
  function show() {
    var m = method();
    form.querySelectorAll(".coords").forEach(function (d, i) {
      d.hidden = !((i === 0 && (m === "map" || m === "wgs84" || m === "geolocation")) ||
        (i === 1 && m === "vn2000") || (i === 2 && m === "geolocation"));
    });
    marker.setOpacity(m ? 1 : 0.45);
  }
  function distance(text) {
    out.textContent = text || "";
  }
  var seq = 0;
  function preview() {
    var m = method();
    if (!m || !cfg.preview) { distance(""); return; }
    var q = new URLSearchParams({position_method: m, lon: lon.value, lat: lat.value, easting: east.value,
      northing: north.value, vn_crs: grid.value, accuracy_m: acc.value, precision_claim: "exact", lang: cfg.lang});
    var mine = ++seq;
    fetch(cfg.preview + "?" + q.toString(), {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (mine !== seq) return;
        if (j.lon === undefined) { distance((j.problems || []).join(" ")); return; }
        var at = L.latLng(j.lat, j.lon);
        marker.setLatLng(at);
        if (m === "vn2000") { lon.value = j.lon; lat.value = j.lat; }
        if (!map.getBounds().contains(at)) map.panTo(at);
        var text = j.distance_m === null ? "" : cfg.strings.distance_from + ": " + metres(j.distance_m);
        distance([text].concat(j.problems || []).filter(Boolean).join(" · "));
        box.setAttribute("data-distance", j.distance_m === null ? "" : String(Math.round(j.distance_m)));
      })
      .catch(function () { distance(""); });
  }
  function placed(at) {
    lon.value = at.lng.toFixed(6);
    lat.value = at.lat.toFixed(6);
    if (method() !== "map") setMethod("map");
    preview();
  }
  marker.on("dragend", function () { placed(marker.getLatLng()); });
  map.on("click", function (e) { marker.setLatLng(e.latlng); placed(e.latlng); });
  var timer = null;
  [lon, lat, east, north, grid].forEach(function (input) {
    input.addEventListener("input", function () {
      if (input === lon || input === lat) { if (method() !== "wgs84" && method() !== "map") setMethod("wgs84"); }
      else if (method() !== "vn2000") setMethod("vn2000");
      clearTimeout(timer);
      timer = setTimeout(preview, 300);
    });
  });
  form.querySelectorAll("input[name=position_method]").forEach(function (r) {
    r.addEventListener("change", function () {
      show();
      if (r.value === "geolocation" && r.checked) locate(); else preview();
    });
  });
  function locate() {
    if (!navigator.geolocation) { distance(cfg.strings.geo_unavailable); return; }
    navigator.geolocation.getCurrentPosition(function (p) {
      lon.value = p.coords.longitude.toFixed(6);
      lat.value = p.coords.latitude.toFixed(6);
      acc.value = Math.round(p.coords.accuracy * 10) / 10;
      marker.setLatLng([p.coords.latitude, p.coords.longitude]);
      map.setView([p.coords.latitude, p.coords.longitude], 16);
      preview();
    }, function () { distance(cfg.strings.geo_unavailable); }, {enableHighAccuracy: true, timeout: 15000});
  }
  show();
  if (method()) preview();
})();
