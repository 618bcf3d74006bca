/* The leaders' cockpit: draws the charts and the map from the page's data (ECharts, vendored),
   sends every click to the filtered list behind it, and refreshes the figures each minute. */
(function () {
  "use strict";

  var dataNode = document.getElementById("cockpit-data");
  if (!dataNode || typeof echarts === "undefined") return;
  var labels = JSON.parse(document.getElementById("cockpit-labels").textContent);
  var config = document.getElementById("cockpit-config").dataset;
  var state = { data: JSON.parse(dataNode.textContent), colour: "amount", geo: null, markers: {} };
  var charts = {};
  window.guanjiaCockpit = { charts: charts, state: state, ready: false };

  var PALETTE = ["#0b5cad", "#17803d", "#b54708", "#7a5af8", "#b42318", "#0e9384", "#c11574", "#667085", "#dc6803"];
  var SCALE = ["#e6f0fa", "#9ec5ee", "#4a90d9", "#0b5cad", "#083b73"];
  var SCALE_BAD = ["#fdf2f2", "#f9c4c0", "#f0857d", "#d92d20", "#912018"];

  function yi(wan) { return Math.round(Number(wan || 0) / 100) / 100; }
  function pct(rate) { return rate === null || rate === undefined ? "—" : (rate * 100).toFixed(1) + "%"; }
  function go(url) { if (url) window.location.assign(url); }

  function chart(id) {
    if (charts[id]) return charts[id];
    var node = document.getElementById(id);
    if (!node) return null;
    charts[id] = echarts.init(node, null, { renderer: "canvas" });
    return charts[id];
  }

  function onClick(id, handler) {
    var c = chart(id);
    c.off("click");
    c.on("click", handler);
  }

  // --- Tiles and the leaderboard (rendered by the server; kept fresh here) ---------------------
  function tiles(data) {
    var k = data.kpis;
    var shown = {
      signed_count: String(k.signed_count),
      signed_investment: yi(k.signed_investment).toLocaleString("zh-CN", { minimumFractionDigits: 2 }),
      landing_rate: pct(k.landing_rate), start_rate: pct(k.start_rate),
      operation_rate: pct(k.operation_rate), funds_rate: pct(k.funds_rate),
      requests_on_time_rate: pct(k.requests_on_time_rate), satisfaction_rate: pct(k.satisfaction_rate),
      overdue_now: String(k.overdue_now), services_this_month: String(k.services_this_month),
    };
    document.querySelectorAll("[data-kpi]").forEach(function (tile) {
      var key = tile.getAttribute("data-kpi");
      var value = tile.querySelector(".tile-value");
      if (value && key in shown) value.textContent = shown[key];
      if (data.links && data.links[key]) tile.setAttribute("href", data.links[key]);
    });
    var when = document.getElementById("cockpit-refreshed");
    if (when && data.refreshed_at) {
      when.setAttribute("datetime", data.refreshed_at);
      when.textContent = data.refreshed_local || data.refreshed_at;
    }
  }

  // --- Charts -----------------------------------------------------------------------------------
  function areaChart(data) {
    var rows = data.by_area;
    chart("chart-area").setOption({
      color: PALETTE, grid: { left: 48, right: 12, top: 24, bottom: 48 },
      tooltip: { trigger: "axis", renderMode: "richText" /* no HTML: the CSP refuses inline styles */ },
      xAxis: { type: "category", data: rows.map(function (r) { return r.short_name; }), axisLabel: { interval: 0, rotate: rows.length > 6 ? 40 : 0 } },
      yAxis: { type: "value", name: labels.amount, nameTextStyle: { align: "left" } },
      series: [{ type: "bar", name: labels.amount, data: rows.map(function (r) { return { value: yi(r.amount_wan), url: r.url }; }) }],
    }, true);
    onClick("chart-area", function (p) { go(p.data && p.data.url); });
  }

  function industryChart(data) {
    var rows = data.by_industry;
    chart("chart-industry").setOption({
      color: PALETTE,
      tooltip: { trigger: "item", formatter: function (p) { return p.name + "<br>" + p.value + " · " + p.data.projects + " " + labels.projects; } },
      series: [{
        type: "pie", radius: ["35%", "65%"], center: ["50%", "52%"], avoidLabelOverlap: true,
        label: { formatter: "{b}\n{d}%" },
        data: rows.map(function (r) { return { name: r.name || labels.no_industry, value: yi(r.amount_wan), projects: r.projects, url: r.url }; }),
      }],
    }, true);
    onClick("chart-industry", function (p) { go(p.data && p.data.url); });
  }

  function funnelChart(data) {
    var rows = data.funnel;
    chart("chart-funnel").setOption({
      color: PALETTE,
      tooltip: { trigger: "item", formatter: function (p) { return p.name + ": " + p.value + " " + labels.projects; } },
      series: [{
        type: "funnel", sort: "none", left: "8%", right: "8%", top: 8, bottom: 8, minSize: "12%", gap: 2,
        label: { show: true, position: "inside", formatter: "{b} {c}" },
        data: rows.map(function (r) { return { name: r.label, value: r.projects, url: r.url }; }),
      }],
    }, true);
    onClick("chart-funnel", function (p) { go(p.data && p.data.url); });
  }

  function monthlyChart(data) {
    var rows = data.monthly;
    var keys = [["signed", labels.signed], ["started", labels.started], ["operating", labels.operating]];
    chart("chart-monthly").setOption({
      color: PALETTE, grid: { left: 36, right: 12, top: 36, bottom: 28 },
      tooltip: { trigger: "axis", renderMode: "richText" /* no HTML: the CSP refuses inline styles */ }, legend: { top: 0 },
      xAxis: { type: "category", data: rows.map(function (r) { return r.month + "月"; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: keys.map(function (key) {
        return { type: "bar", name: key[1], data: rows.map(function (r) { return { value: r[key[0]], url: r.urls[key[0]] }; }) };
      }),
    }, true);
    onClick("chart-monthly", function (p) { go(p.data && p.data.url); });
  }

  function onTimeChart(data) {
    var rows = data.on_time_by_month;
    chart("chart-ontime").setOption({
      color: ["#9ec5ee", "#17803d"], grid: { left: 40, right: 44, top: 36, bottom: 28 },
      tooltip: { trigger: "axis", renderMode: "richText" /* no HTML: the CSP refuses inline styles */ }, legend: { top: 0 },
      xAxis: { type: "category", data: rows.map(function (r) { return r.month + "月"; }) },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
      series: [
        { type: "bar", name: labels.replied, data: rows.map(function (r) { return { value: r.replied, url: r.url }; }) },
        { type: "line", name: labels.rate, yAxisIndex: 1, connectNulls: false,
          data: rows.map(function (r) { return { value: r.rate === null ? null : Math.round(r.rate * 1000) / 10, url: r.url }; }) },
      ],
    }, true);
    onClick("chart-ontime", function (p) { go(p.data && p.data.url); });
  }

  // --- The map ----------------------------------------------------------------------------------
  function featureKeys(feature) {
    var p = feature.properties || {};
    return [feature.id, p.code, p.adcode, p.gb_code].filter(function (v) { return v !== undefined && v !== null; }).map(String);
  }

  // Match each area to a feature of the GeoJSON (by code, else by name) or to a marker.
  function placeAreas(areas) {
    var features = state.geo ? state.geo.features : [];
    var placed = { polygons: [], points: [], missing: [] };
    areas.forEach(function (area) {
      var found = null;
      features.forEach(function (f) {
        if (found) return;
        var keys = featureKeys(f);
        if ((area.gb_code && keys.indexOf(area.gb_code) >= 0) || keys.indexOf(area.code) >= 0) found = f;
      });
      if (!found) {
        features.forEach(function (f) {
          if (found) return;
          var name = (f.properties || {}).name;
          if (name && (name === area.name || name === area.short_name)) found = f;
        });
      }
      if (found) { placed.polygons.push({ area: area, name: found.properties.name }); return; }
      var at = state.markers[area.code] || state.markers[area.name];
      if (at) placed.points.push({ area: area, at: at }); else placed.missing.push(area);
    });
    return placed;
  }

  function mapChart(data) {
    var c = chart("chart-map");
    if (!state.geo) return;
    var placed = placeAreas(data.by_area);
    var overdue = state.colour === "overdue";
    var metric = function (a) { return overdue ? a.overdue_now : yi(a.amount_wan); };
    var max = Math.max(1, Math.max.apply(null, data.by_area.map(metric).concat([0])));
    var scale = overdue ? SCALE_BAD : SCALE;
    var colourOf = function (v) { return scale[Math.min(scale.length - 1, Math.floor((v / max) * (scale.length - 1) + 0.5))]; };
    window.guanjiaCockpit.placed = placed;
    c.setOption({
      tooltip: { trigger: "item", formatter: function (p) {
        var a = p.data && p.data.area;
        if (!a) return p.name;
        return a.name + "<br>" + labels.amount + ": " + yi(a.amount_wan) + "<br>" + labels.projects + ": " + a.projects + "<br>" + labels.overdue + ": " + a.overdue_now;
      } },
      visualMap: { type: "continuous", min: 0, max: max, seriesIndex: 0, left: 8, bottom: 8, calculable: false, itemHeight: 90,
        text: [String(max), "0"], inRange: { color: scale } },
      geo: { map: "guanjia-area", roam: false, top: 12, bottom: 12, selectedMode: false,
        label: { show: true, fontSize: 11, color: "#1f2933" },
        itemStyle: { borderColor: "#fff", borderWidth: 1, areaColor: "#eef2f6" },
        emphasis: { label: { show: true }, itemStyle: { areaColor: "#fec84b" } } },
      series: [
        { type: "map", geoIndex: 0, name: overdue ? labels.overdue : labels.amount,
          data: placed.polygons.map(function (p) { return { name: p.name, value: metric(p.area), area: p.area, url: p.area.cockpit_url }; }) },
        { type: "scatter", coordinateSystem: "geo", symbolSize: 20, zlevel: 1,
          label: { show: true, position: "left", formatter: "{b}", fontSize: 11, color: "#1f2933" },
          itemStyle: { borderColor: "#1f2933", borderWidth: 1 },
          data: placed.points.map(function (p) {
            return { name: p.area.short_name, value: [p.at[0], p.at[1], metric(p.area)], area: p.area, url: p.area.cockpit_url, itemStyle: { color: colourOf(metric(p.area)) } };
          }) },
      ],
    }, true);
    var byName = {};
    placed.polygons.forEach(function (p) { byName[p.name] = p.area.cockpit_url; });
    onClick("chart-map", function (p) { go((p.data && p.data.url) || byName[p.name]); });
  }

  function loadMap() {
    var fetchJson = function (url) {
      return url ? fetch(url, { credentials: "same-origin" }).then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); }) : Promise.resolve(null);
    };
    return Promise.all([fetchJson(config.geojson), fetchJson(config.markers).catch(function () { return null; })])
      .then(function (got) {
        state.geo = got[0];
        state.markers = (got[1] && got[1].markers) || {};
        echarts.registerMap("guanjia-area", state.geo);
        mapChart(state.data);
      })
      .catch(function () {
        var node = document.getElementById("chart-map");
        if (node) node.insertAdjacentText("afterbegin", labels.map_failed);
      });
  }

  function render(data) {
    state.data = data;
    tiles(data);
    areaChart(data); industryChart(data); funnelChart(data); monthlyChart(data); onTimeChart(data);
    mapChart(data);
  }

  document.querySelectorAll("[data-colour]").forEach(function (button) {
    button.addEventListener("click", function () {
      state.colour = button.getAttribute("data-colour");
      document.querySelectorAll("[data-colour]").forEach(function (b) {
        var on = b === button;
        b.classList.toggle("active", on);
        b.setAttribute("aria-pressed", on ? "true" : "false");
      });
      mapChart(state.data);
    });
  });

  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
  });

  // The rollups refresh every 30 s under the worker; fetch the figures again each minute.
  function poll() {
    var query = "?region=" + encodeURIComponent(state.data.region ? state.data.region.id : "") + "&year=" + state.data.year;
    fetch(config.endpoint + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (fresh) { if (fresh && fresh.refreshed_at !== state.data.refreshed_at) render(fresh); })
      .catch(function () {});
  }

  render(state.data);
  loadMap().then(function () {
    window.guanjiaCockpit.ready = true;
    // For tests and screenshots: a selector to wait on (evaluating a script is refused by the CSP).
    document.documentElement.setAttribute("data-cockpit-ready", "1");
  });
  window.setInterval(poll, 60000);
})();
