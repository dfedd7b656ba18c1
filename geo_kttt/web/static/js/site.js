/* geo-kttt pages: search box, layer toggles with URL state, panel on phones, colour swatches.
 * Results are written as DOM text, never HTML. */
(function () {
  "use strict";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  document.querySelectorAll("[data-color]").forEach(function (e) {
    e.style.setProperty("--c", e.getAttribute("data-color"));
    if (e.classList.contains("bar") || e.classList.contains("badge-inline")) {
      e.style.background = e.getAttribute("data-color");
    }
  });
  document.querySelectorAll("[data-width]").forEach(function (e) {
    e.style.width = e.getAttribute("data-width");
  });

  /* Search: results as you type; Enter without a choice opens the results page. */
  var input = document.getElementById("search-q");
  var list = document.getElementById("search-results");
  var timer = null, seq = 0;
  function focusUrl(r) {
    var target = r.kind === "site" ? "site:" + r.layer + "/" + r.id : r.kind + ":" + r.id;
    var q = new URLSearchParams({focus: target});
    if (input.dataset.lang) q.set("lang", input.dataset.lang);
    return input.dataset.map + "?" + q.toString();
  }
  function show(results) {
    list.textContent = "";
    results.forEach(function (r) {
      var li = el("li"), a = el("a");
      a.href = focusUrl(r);
      a.appendChild(el("span", null, input.dataset.lang === "en" ? r.name_en : r.name_vi));
      a.appendChild(el("span", "kind", " · " + r.kind_label));
      a.addEventListener("click", function (ev) {
        if (window.geoKttt && window.geoKtttMap) {
          var ok = window.geoKttt.focus(r.kind === "site" ? {layer: r.layer, id: r.id} : {bbox: r.bbox});
          if (ok) { ev.preventDefault(); list.textContent = ""; }
        }
      });
      li.appendChild(a);
      list.appendChild(li);
    });
  }
  if (input && list) {
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (!q) { list.textContent = ""; return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        var url = input.dataset.api + "?" + new URLSearchParams({q: q, lang: input.dataset.lang || "vi"});
        fetch(url).then(function (r) { return r.json(); }).then(function (data) {
          if (mine === seq) show(data.results);
        }).catch(function () { list.textContent = ""; });
      }, 150);
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") list.textContent = "";
    });
    document.addEventListener("click", function (ev) {
      if (!list.contains(ev.target) && ev.target !== input) list.textContent = "";
    });
  }

  /* Map page: layer checkboxes toggle the groups at once and keep the URL in step. */
  var form = document.getElementById("filters");
  // The link a form gives: no empty parameters; a group of boxes with every box ticked is left
  // out (all layers, all statuses) and otherwise written as one comma list (layers=a,b).
  function filterQuery() {
    var params = new URLSearchParams(), groups = {};
    Array.prototype.forEach.call(form.elements, function (e) {
      if (!e.name || e.disabled || e.type === "submit") return;
      if (e.hasAttribute("data-all-means-none")) {
        var key = e.name === "layer" ? "layers" : e.name;
        var g = groups[key] = groups[key] || {on: [], all: true};
        if (e.checked) g.on.push(e.value); else g.all = false;
        return;
      }
      if ((e.type === "checkbox" || e.type === "radio") && !e.checked) return;
      if (e.name === "layers" && e.type === "hidden") return;
      if (e.value !== "") params.append(e.name, e.value);
    });
    Object.keys(groups).forEach(function (key) {
      var g = groups[key];
      if (!g.all) params.set(key, g.on.join(","));  // none ticked: layers= (show none)
    });
    return params;
  }
  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var q = filterQuery().toString();
      window.location.assign(form.getAttribute("action") + (q ? "?" + q : ""));
    });
    form.querySelectorAll("[data-autosubmit]").forEach(function (e) {
      e.addEventListener("change", function () { form.requestSubmit(); });
    });
    var toggles = form.querySelectorAll("[data-layer-toggle]");
    var sync = function () {
      var on = [], all = true;
      toggles.forEach(function (b) { if (b.checked) on.push(b.value); else all = false; });
      var params = new URLSearchParams(window.location.search);
      params.delete("layer");
      if (all) params.delete("layers"); else params.set("layers", on.join(","));
      history.replaceState(null, "", window.location.pathname + "?" + params.toString());
      var total = 0;
      document.querySelectorAll("[data-summary-layer]").forEach(function (tr) {
        var shown = on.indexOf(tr.getAttribute("data-summary-layer")) >= 0;
        tr.classList.toggle("hidden-layer", !shown);
        if (shown) total += Number(tr.getAttribute("data-count"));
      });
      var t = document.getElementById("shown-total");
      if (t) t.textContent = new Intl.NumberFormat(document.documentElement.lang || "vi").format(total);
    };
    toggles.forEach(function (box) {
      box.addEventListener("change", function () {
        if (window.geoKttt) window.geoKttt.setVisible(box.value, box.checked);
        sync();
      });
    });
    // A layer switched on from elsewhere (a search result in a hidden layer): tick its box.
    document.addEventListener("geokttt:layers", function (ev) {
      toggles.forEach(function (b) { b.checked = ev.detail.visible.indexOf(b.value) >= 0; });
      sync();
    });
  }

  /* Sortable tables: click a column heading; numbers sort by their data-value. */
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, i) {
      th.tabIndex = 0;
      function sort() {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[i].getAttribute("data-value"), y = b.cells[i].getAttribute("data-value");
          var nx = Number(x), ny = Number(y);
          var c = (isNaN(nx) || isNaN(ny)) ? String(x).localeCompare(String(y), "vi") : nx - ny;
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (ev) { if (ev.key === "Enter") sort(); });
    });
  });

  var panel = document.getElementById("panel");
  if (panel && window.matchMedia("(max-width: 760px)").matches) panel.removeAttribute("open");
})();
