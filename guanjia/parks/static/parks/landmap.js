/* The land map (招商地图): parks and plots on the city's base map (ECharts, vendored), plots as
   points and outlines coloured by status, filtered by the form without reloading the page, a
   plot's card on click. Works for the workspace and, in public mode, for the portal: the page
   hands the data's address and the plot page's address (with 0 for the id) in #landmap-config.
   Coordinates come in WGS 84 and are converted to GCJ-02, the base map's, when drawn. */
(function () {
  "use strict";

  var node = document.getElementById("landmap-chart");
  var configNode = document.getElementById("landmap-config");
  if (!node || !configNode || typeof echarts === "undefined") return;
  var config = configNode.dataset;
  var labels = JSON.parse(document.getElementById("landmap-labels").textContent);
  var COLOURS = { available: "#17803d", reserved: "#dc6803", taken: "#667085", park: "#0b5cad" };
  var chart = echarts.init(node, null, { renderer: "canvas" });
  var state = { data: null, geo: false };
  window.guanjiaLandMap = { chart: chart, state: state };

  // --- WGS 84 → GCJ-02 (the published conversion; outside China it leaves points unchanged) ---
  var A = 6378245.0, EE = 0.00669342162296594323;
  function outOfChina(lng, lat) { return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271; }
  function tLat(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
    return r;
  }
  function tLng(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
    return r;
  }
  function gcj(lng, lat) {
    if (outOfChina(lng, lat)) return [lng, lat];
    var dLat = tLat(lng - 105.0, lat - 35.0), dLng = tLng(lng - 105.0, lat - 35.0);
    var radLat = lat / 180.0 * Math.PI, magic = Math.sin(radLat);
    magic = 1 - EE * magic * magic;
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * Math.PI);
    dLng = (dLng * 180.0) / (A / sqrtMagic * Math.cos(radLat) * Math.PI);
    return [lng + dLng, lat + dLat];
  }

  window.guanjiaLandMap.gcj = gcj;

  function rows(data, key, fieldsKey) {
    var fields = data[fieldsKey];
    return data[key].map(function (r) {
      var o = {};
      fields.forEach(function (f, i) { o[f] = r[i]; });
      return o;
    });
  }

  function fmt(v) { return v === null || v === undefined ? "—" : Number(v).toLocaleString(); }

  function showCard(plot) {
    var card = document.getElementById("landmap-card");
    var parks = {};
    rows(state.data, "parks", "park_fields").forEach(function (p) { parks[p.id] = p.name; });
    document.getElementById("landmap-card-title").textContent = plot.code + (plot.name ? " " + plot.name : "");
    var facts = document.getElementById("landmap-card-facts");
    while (facts.firstChild) facts.removeChild(facts.firstChild);
    [[labels.park, parks[plot.park] || ""], [labels.area_mu, fmt(plot.area_mu)], [labels.power_kva, fmt(plot.power_kva)],
     [labels.price, fmt(plot.price)], [labels.land_use, (labels.land_uses || {})[plot.land_use] || plot.land_use], ["", labels[plot.status] || plot.status]]
      .forEach(function (pair) {
        if (!pair[0] && !pair[1]) return;
        var dt = document.createElement("dt"), dd = document.createElement("dd");
        dt.textContent = pair[0]; dd.textContent = pair[1];
        facts.appendChild(dt); facts.appendChild(dd);
      });
    var link = document.getElementById("landmap-card-link");
    if (config.plotUrl) {
      link.setAttribute("href", config.plotUrl.replace(/\/0\/(?=[^/]*$)/, "/" + plot.id + "/"));
      link.hidden = false;
    } else {
      link.hidden = true;
    }
    card.hidden = false;
  }

  function draw() {
    var data = state.data;
    if (!data || !state.geo) return;
    var plots = rows(data, "plots", "fields");
    var parks = rows(data, "parks", "park_fields").filter(function (p) { return p.lng !== null; });
    var shapes = plots.filter(function (p) { return p.outline; });
    document.getElementById("landmap-count").textContent = data.count + " " + labels.count + (data.outlines ? "" : " · " + labels.no_outlines);
    chart.setOption({
      tooltip: { trigger: "item", renderMode: "richText" /* no HTML: the CSP refuses inline styles */,
        formatter: function (p) { var d = p.data && p.data.plot; return d ? d.code + " · " + fmt(d.area_mu) + " " + labels.area_mu : p.name; } },
      geo: { map: "guanjia-land", roam: true, top: 8, bottom: 8, left: 8, right: 8, scaleLimit: { min: 1, max: 400 },
        label: { show: true, fontSize: 11, color: "#1f2933" },
        itemStyle: { borderColor: "#9aa5b1", borderWidth: 1, areaColor: "#f4f6f8" },
        emphasis: { label: { show: true }, itemStyle: { areaColor: "#eef2f6" } } },
      series: [
        { type: "custom", coordinateSystem: "geo", name: "outlines",
          renderItem: function (params, api) {
            var plot = shapes[params.dataIndex];
            var points = plot.outline[0].map(function (c) { return api.coord(gcj(c[0], c[1])); });
            return { type: "polygon", shape: { points: points },
              style: { fill: COLOURS[plot.status], opacity: 0.45, stroke: COLOURS[plot.status], lineWidth: 1 } };
          },
          data: shapes.map(function (p) { return { value: [p.lng, p.lat], plot: p }; }) },
        { type: "scatter", coordinateSystem: "geo", name: "plots", symbolSize: 9, zlevel: 1,
          data: plots.map(function (p) {
            return { name: p.code, value: gcj(p.lng, p.lat), plot: p, itemStyle: { color: COLOURS[p.status] || "#667085" } };
          }) },
        { type: "scatter", coordinateSystem: "geo", name: "parks", symbol: "diamond", symbolSize: 14, zlevel: 2,
          label: { show: true, position: "right", formatter: "{b}", fontSize: 11, color: "#0b5cad" },
          itemStyle: { color: COLOURS.park, borderColor: "#fff", borderWidth: 1 },
          data: parks.map(function (p) { return { name: p.name, value: gcj(p.lng, p.lat) }; }) },
      ],
    }, true);
  }

  chart.on("click", function (p) { if (p.data && p.data.plot) showCard(p.data.plot); });
  document.getElementById("landmap-close").addEventListener("click", function () {
    document.getElementById("landmap-card").hidden = true;
  });

  function load(query) {
    var url = config.endpoint + (query ? "?" + query : "");
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) { state.data = data; draw(); });
  }

  var form = document.getElementById("landmap-filters");
  function query() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (v, k) { if (v !== "") params.append(k, v); });
    return params.toString();
  }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var q = query();
    window.history.replaceState(null, "", form.getAttribute("action") + (q ? "?" + q : ""));
    load(q);
  });
  form.addEventListener("change", function () { form.requestSubmit(); });

  window.addEventListener("resize", function () { chart.resize(); });

  var base = fetch(config.geojson, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (geo) { echarts.registerMap("guanjia-land", geo); state.geo = true; });
  Promise.all([base, load(query())])
    .then(function () {
      draw();
      // For tests and screenshots: a selector to wait on (evaluating a script is refused by the CSP).
      document.documentElement.setAttribute("data-landmap-ready", "1");
    })
    .catch(function () { node.textContent = labels.map_failed; });
})();
