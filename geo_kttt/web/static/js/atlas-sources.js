/* Where geo-kttt's map script (atlas.js) gets its sites: the tiles of clusters and one site's
 * popup fields, either from the server (geo_kttt.maps.clusters, /api/clusters/z/x/y.json and
 * /api/sites/<layer>/<id>) or from the table embedded in a self-contained map
 * (geo_kttt.maps.embed), clustered here the same way: per layer, in cells of 64 px (4 x 4 per
 * 256 px tile), a lone site drawn by itself, every site by itself from zoom clusters.offZoom. */
(function () {
  "use strict";

  function json(url) {
    return fetch(url).then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }

  function server(cfg) {
    var sites = {};
    return {
      tile: function (z, x, y) {
        return json(cfg.tilesUrl.replace("{z}", z).replace("{x}", x).replace("{y}", y));
      },
      site: function (layer, id) {
        var key = layer + "/" + id;
        if (!sites[key]) {
          sites[key] = json(cfg.siteUrl.replace("{layer}", encodeURIComponent(layer))
            .replace("{id}", encodeURIComponent(id)));
          sites[key].catch(function () { delete sites[key]; });
        }
        return sites[key];
      }
    };
  }

  // A large table travels gzipped and base64-encoded (one offline file stays small).
  function unpack(sites) {
    if (!sites.packed) return Promise.resolve(sites);
    var raw = atob(sites.packed), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  // Column ``name`` of row ``i``: a plain list {v: [...]} or a dictionary {d: [...], c: [codes]}.
  function value(t, name, i) {
    var col = t.columns[name];
    if (!col) return null;
    return col.v ? col.v[i] : col.d[col.c[i]];
  }

  function prepare(t) {
    var n = t.n, X = new Float64Array(n), Y = new Float64Array(n), byKey = {};
    for (var i = 0; i < n; i++) {
      var lon = t.lon[i] / 1e6, lat = Math.max(-85.0511, Math.min(85.0511, t.lat[i] / 1e6));
      var s = Math.sin(lat * Math.PI / 180);
      X[i] = (lon + 180) / 360;
      Y[i] = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
      byKey[value(t, "layer", i) + "/" + value(t, "id", i)] = i;
    }
    t.X = X; t.Y = Y; t.byKey = byKey; t.zooms = {};
    return t;
  }

  function properties(t, i) {
    var p = {};
    Object.keys(t.columns).forEach(function (name) { p[name] = value(t, name, i); });
    p.verified = !!p.verified;
    return p;
  }

  // Every tile of zoom z that holds sites, built in one pass over the table (kept per zoom).
  function tilesAt(t, z, cfg) {
    if (t.zooms[z]) return t.zooms[z];
    var off = cfg.clusters.offZoom, bits = cfg.clusters.cellBits, tiles = {}, cells = {};
    var n = Math.pow(2, z), m = Math.pow(2, z + bits);
    for (var i = 0; i < t.n; i++) {
      var tk = Math.floor(t.X[i] * n) + "/" + Math.floor(t.Y[i] * n);
      var tile = tiles[tk] = tiles[tk] || {count: 0, layers: {}};
      var lid = value(t, "layer", i);
      var part = tile.layers[lid] = tile.layers[lid] || {clusters: [], sites: []};
      tile.count++;
      if (z >= off) { part.sites.push(site(t, i, cfg)); continue; }
      var ck = lid + "/" + Math.floor(t.X[i] * m) + "/" + Math.floor(t.Y[i] * m);
      var c = cells[ck];
      if (!c) { c = cells[ck] = {part: part, rows: []}; }
      c.rows.push(i);
    }
    Object.keys(cells).forEach(function (k) {
      var c = cells[k];
      if (c.rows.length === 1) { c.part.sites.push(site(t, c.rows[0], cfg)); return; }
      var sx = 0, sy = 0, w = 180, s = 90, e = -180, nn = -90;
      c.rows.forEach(function (r) {
        var lon = t.lon[r] / 1e6, lat = t.lat[r] / 1e6;
        sx += lon; sy += lat;
        w = Math.min(w, lon); e = Math.max(e, lon); s = Math.min(s, lat); nn = Math.max(nn, lat);
      });
      c.part.clusters.push([sx / c.rows.length, sy / c.rows.length, c.rows.length, w, s, e, nn]);
    });
    t.zooms[z] = tiles;
    return tiles;
  }

  function site(t, i, cfg) {
    return [t.lon[i] / 1e6, t.lat[i] / 1e6, value(t, "id", i), value(t, "name_" + cfg.lang, i),
      value(t, "precision", i)];
  }

  function embedded(cfg) {
    var ready = unpack(cfg.sites).then(prepare);
    return {
      tile: function (z, x, y) {
        return ready.then(function (t) {
          return tilesAt(t, z, cfg)[x + "/" + y] || {count: 0, layers: {}};
        });
      },
      site: function (layer, id) {
        return ready.then(function (t) {
          var i = t.byKey[layer + "/" + id];
          if (i === undefined) throw new Error("no site " + layer + "/" + id);
          return {type: "Feature", geometry: {type: "Point", coordinates: [t.lon[i] / 1e6, t.lat[i] / 1e6]},
            properties: properties(t, i)};
        });
      }
    };
  }

  window.geoKtttSources = {server: server, embedded: embedded};
})();
