// The map of the library (/map): draws /api/map on a <canvas>. Drag to pan, wheel or the
// +/- buttons to zoom, click a dot to open its paper; "Select a region" turns a drag into a
// rectangle whose papers can be added to the reader's likes (POST /api/map/region).
// A file, not an inline script: the pages' CSP allows only scripts served by the site.
"use strict";
(function () {
  var root = document.getElementById("map-root");
  if (!root) return;
  var canvas = document.getElementById("map-canvas");
  var ctx = canvas.getContext("2d");
  var tip = document.getElementById("map-tip");
  var status = document.getElementById("map-status");
  var panel = document.getElementById("map-region");
  var csrf = root.getAttribute("data-csrf") || "";
  var PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948",
                 "#9c755f", "#e15759", "#bab0ac", "#86bcb6", "#d37295", "#8cd17d"];
  var data = null;        // the whole map (a sample), with regions, likes and feed
  var detail = [];        // more points of the view, once zoomed in
  var view = {cx: 0.5, cy: 0.5, scale: 1};
  var selecting = false, drag = null, box = null, detailTimer = null, titles = {};
  var selection = null;   // the region offered, in map coordinates {x0, y0, x1, y1}

  function size() {
    var ratio = window.devicePixelRatio || 1;
    var width = canvas.clientWidth, height = canvas.clientHeight;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return {w: width, h: height};
  }
  function base() { return Math.min(canvas.clientWidth, canvas.clientHeight) * 0.92; }
  function toScreen(x, y) {
    var s = base() * view.scale;
    return [(x - view.cx) * s + canvas.clientWidth / 2, (y - view.cy) * s + canvas.clientHeight / 2];
  }
  function toMap(px, py) {
    var s = base() * view.scale;
    return [(px - canvas.clientWidth / 2) / s + view.cx, (py - canvas.clientHeight / 2) / s + view.cy];
  }

  function dot(x, y, r, fill, stroke) {
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    if (fill) { ctx.fillStyle = fill; ctx.fill(); }
    if (stroke) { ctx.strokeStyle = stroke; ctx.lineWidth = 2; ctx.stroke(); }
  }
  function drawPoints(points, radius) {
    var w = canvas.clientWidth, h = canvas.clientHeight;
    for (var i = 0; i < points.length; i++) {
      var p = toScreen(points[i][1], points[i][2]);
      if (p[0] < -4 || p[1] < -4 || p[0] > w + 4 || p[1] > h + 4) continue;
      ctx.fillStyle = PALETTE[points[i][3] % PALETTE.length];
      ctx.fillRect(p[0] - radius, p[1] - radius, 2 * radius, 2 * radius);
    }
  }
  function drawLabels() {
    ctx.font = "600 13px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.lineJoin = "round";
    var taken = [];  // labels drawn so far (largest region first): a label never covers one
    data.clusters.forEach(function (c) {
      var p = toScreen(c.x, c.y), half = ctx.measureText(c.label).width / 2 + 4;
      var x = Math.max(half, Math.min(canvas.clientWidth - half, p[0]));  // never cut at an edge
      var rect = [x - half, p[1] - 22, x + half, p[1] - 4];
      if (taken.some(function (t) { return rect[0] < t[2] && t[0] < rect[2] && rect[1] < t[3] && t[1] < rect[3]; })) return;
      taken.push(rect);
      ctx.lineWidth = 4;
      ctx.strokeStyle = "rgba(255,255,255,0.9)";
      ctx.strokeText(c.label, x, p[1] - 8);
      ctx.fillStyle = "#1d2330";
      ctx.fillText(c.label, x, p[1] - 8);
    });
  }
  function draw() {
    var dims = size();
    ctx.clearRect(0, 0, dims.w, dims.h);
    if (!data || !data.built) return;
    var radius = Math.max(1.2, Math.min(4, 1.2 * Math.sqrt(view.scale) * (data.total < 2000 ? 2.5 : 1)));
    ctx.globalAlpha = 0.55;
    drawPoints(data.points, radius);
    drawPoints(detail, radius);
    ctx.globalAlpha = 1;
    data.feed.forEach(function (f) { var p = toScreen(f.x, f.y); dot(p[0], p[1], 6, null, "#2459c6"); });
    data.likes.forEach(function (l) { var p = toScreen(l.x, l.y); dot(p[0], p[1], 5, "#b3261e", "#fff"); });
    drawLabels();
    var shown = box;
    if (!shown && selection) {
      var a = toScreen(selection.x0, selection.y0), b = toScreen(selection.x1, selection.y1);
      shown = [a[0], a[1], b[0], b[1]];
    }
    if (shown) {
      ctx.strokeStyle = "#2459c6";
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 4]);
      ctx.strokeRect(shown[0], shown[1], shown[2] - shown[0], shown[3] - shown[1]);
      ctx.setLineDash([]);
    }
  }

  function query(params) {
    return Object.keys(params).map(function (k) { return k + "=" + encodeURIComponent(params[k]); }).join("&");
  }
  function load() {
    fetch("/api/map", {credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error("the map could not be loaded (" + r.status + ")"); return r.json(); })
      .then(function (json) {
        data = json;
        root.setAttribute("data-points", String(json.points.length));
        status.textContent = json.built ? describe(json) : "";
        if (json.built) listRegions();
        draw();
        root.setAttribute("data-ready", "1");
      })
      .catch(function (e) { status.textContent = e.message; });
  }
  function listRegions() {
    var list = document.getElementById("map-regions");
    list.textContent = "";
    data.clusters.forEach(function (c) {
      var item = document.createElement("li"), go = document.createElement("button");
      go.type = "button";
      go.textContent = c.label + " (" + c.size + ")";
      go.addEventListener("click", function () { showRegion(c.id); });
      item.appendChild(go);
      list.appendChild(item);
    });
  }
  function showRegion(id) {
    // fit the view to the region's points (of the sample) and offer it, as if selected
    var xs = [], ys = [];
    data.points.forEach(function (p) { if (p[3] === id) { xs.push(p[1]); ys.push(p[2]); } });
    if (!xs.length) return;
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    var y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    var span = Math.max(x1 - x0, y1 - y0, 0.02);
    view = {cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, scale: Math.min(400, 0.8 / span)};
    var pad = span * 0.02;
    selection = {x0: x0 - pad, y0: y0 - pad, x1: x1 + pad, y1: y1 + pad};
    changed();
    offerRegion();
    canvas.scrollIntoView({block: "nearest"});
  }
  function describe(json) {
    var text = json.total + " papers, " + json.clusters.length + " regions; your likes: " +
      json.likes.length + ", your feed: " + json.feed.length + " on the map";
    var missing = json.unplaced.likes + json.unplaced.feed;
    return missing ? text + " (" + missing + " not laid out yet)" : text;
  }
  function loadDetail() {
    if (!data || !data.built || view.scale < 2) { detail = []; draw(); return; }
    var a = toMap(0, 0), b = toMap(canvas.clientWidth, canvas.clientHeight);
    fetch("/api/map?" + query({x0: a[0], y0: a[1], x1: b[0], y1: b[1], limit: 20000, points_only: 1}), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (json) { if (json) { detail = json.points; draw(); } });
  }
  function changed() {
    draw();
    clearTimeout(detailTimer);
    detailTimer = setTimeout(loadDetail, 250);
  }
  function zoom(factor, px, py) {
    var before = toMap(px, py);
    view.scale = Math.max(0.5, Math.min(400, view.scale * factor));
    var after = toMap(px, py);
    view.cx += before[0] - after[0];
    view.cy += before[1] - after[1];
    changed();
  }

  function nearest(px, py) {
    var best = null, bestD = 100;  // within 10 px
    function consider(id, x, y, title) {
      var p = toScreen(x, y), d = (p[0] - px) * (p[0] - px) + (p[1] - py) * (p[1] - py);
      if (d < bestD) { bestD = d; best = {id: id, title: title, x: p[0], y: p[1]}; }
    }
    data.likes.forEach(function (l) { consider(l.id, l.x, l.y, l.title); });
    data.feed.forEach(function (f) { consider(f.id, f.x, f.y, f.title); });
    [data.points, detail].forEach(function (list) {
      for (var i = 0; i < list.length; i++) consider(list[i][0], list[i][1], list[i][2], null);
    });
    return best;
  }
  function showTip(hit) {
    if (!hit) { tip.hidden = true; canvas.style.cursor = selecting ? "crosshair" : "grab"; return; }
    canvas.style.cursor = "pointer";
    tip.hidden = false;
    tip.style.left = Math.min(hit.x + 12, canvas.clientWidth - 200) + "px";
    tip.style.top = (hit.y + 12) + "px";
    var known = hit.title || titles[hit.id];
    tip.textContent = known || "…";
    if (!known) {
      fetch("/api/papers/" + hit.id, {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) { if (p) { titles[hit.id] = p.title; if (!tip.hidden) tip.textContent = p.title; } });
    }
  }

  function local(event) {
    var rect = canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }
  canvas.addEventListener("pointerdown", function (event) {
    var p = local(event);
    canvas.setPointerCapture(event.pointerId);
    drag = {x: p[0], y: p[1], cx: view.cx, cy: view.cy, moved: false};
  });
  canvas.addEventListener("pointermove", function (event) {
    var p = local(event);
    if (!drag) { if (data && data.built && event.pointerType === "mouse") showTip(nearest(p[0], p[1])); return; }
    if (Math.abs(p[0] - drag.x) + Math.abs(p[1] - drag.y) > 4) drag.moved = true;
    if (!drag.moved) return;
    if (selecting) {
      box = [Math.min(drag.x, p[0]), Math.min(drag.y, p[1]), Math.max(drag.x, p[0]), Math.max(drag.y, p[1])];
      draw();
    } else {
      var s = base() * view.scale;
      view.cx = drag.cx - (p[0] - drag.x) / s;
      view.cy = drag.cy - (p[1] - drag.y) / s;
      draw();
    }
  });
  canvas.addEventListener("pointerup", function (event) {
    var p = local(event), was = drag;
    drag = null;
    if (!was || !data || !data.built) return;
    if (!was.moved) {
      var hit = nearest(p[0], p[1]);
      if (hit) window.location.href = "/papers/" + hit.id;
      return;
    }
    if (selecting && box) { selection = regionBounds(); box = null; offerRegion(); draw(); } else changed();
  });
  canvas.addEventListener("pointerleave", function () { if (!drag) tip.hidden = true; });
  canvas.addEventListener("wheel", function (event) {
    event.preventDefault();
    var p = local(event);
    zoom(event.deltaY < 0 ? 1.25 : 0.8, p[0], p[1]);
  }, {passive: false});

  function button(id, handler) { document.getElementById(id).addEventListener("click", handler); }
  button("map-zoom-in", function () { zoom(1.5, canvas.clientWidth / 2, canvas.clientHeight / 2); });
  button("map-zoom-out", function () { zoom(1 / 1.5, canvas.clientWidth / 2, canvas.clientHeight / 2); });
  button("map-reset", function () { view = {cx: 0.5, cy: 0.5, scale: 1}; changed(); });
  button("map-select", function () {
    selecting = !selecting;
    this.setAttribute("aria-pressed", selecting ? "true" : "false");
    canvas.style.cursor = selecting ? "crosshair" : "grab";
    if (!selecting) { box = null; selection = null; panel.hidden = true; draw(); }
  });

  function regionBounds() {
    var a = toMap(box[0], box[1]), b = toMap(box[2], box[3]);
    return {x0: a[0], y0: a[1], x1: b[0], y1: b[1]};
  }
  function offerRegion() {
    panel.hidden = false;
    document.getElementById("map-region-result").textContent = "";
    document.getElementById("map-region-add").disabled = false;
  }
  button("map-region-cancel", function () { box = null; selection = null; panel.hidden = true; draw(); });
  button("map-region-add", function () {
    var add = this;
    add.disabled = true;
    fetch("/api/map/region", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(selection)
    }).then(function (r) {
      return r.json().then(function (json) { return {ok: r.ok, json: json}; });
    }).then(function (answer) {
      var out = document.getElementById("map-region-result");
      out.textContent = "";
      if (!answer.ok) { out.textContent = answer.json.detail || "that did not work"; add.disabled = false; return; }
      var head = document.createElement("p");
      head.textContent = answer.json.added.length ?
        "Added to your likes: " + answer.json.added.length + " papers of this region (of " + answer.json.in_region + ")." :
        "You have rated every paper of this region already.";
      out.appendChild(head);
      var list = document.createElement("ul");
      answer.json.added.forEach(function (p) {
        var item = document.createElement("li"), link = document.createElement("a");
        link.href = "/papers/" + p.id;
        link.textContent = p.title || ("paper " + p.id);
        item.appendChild(link);
        list.appendChild(item);
      });
      out.appendChild(list);
      selection = null;
      load();
    });
  });

  window.addEventListener("resize", draw);
  load();
})();
