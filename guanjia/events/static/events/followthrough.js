/* The event page's follow-through chart: projects registered, started and in operation 3, 6
   and 12 months after the event (ECharts, vendored). The table beside it is the fallback. */
(function () {
  "use strict";
  var dataNode = document.getElementById("ft-data");
  var node = document.getElementById("ft-chart");
  if (!dataNode || !node || typeof echarts === "undefined") return;
  var points = JSON.parse(dataNode.textContent);
  var labels = JSON.parse(document.getElementById("ft-labels").textContent);
  node.classList.add("drawn");
  var chart = echarts.init(node, null, { renderer: "canvas" });
  function series(key, colour) {
    return {
      name: labels[key], type: "bar", itemStyle: { color: colour },
      data: points.map(function (p) { return p[key]; })
    };
  }
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 32, bottom: 28 },
    xAxis: { type: "category", data: points.map(function (p) { return labels.after.replace("%(n)s", p.months); }) },
    yAxis: { type: "value", minInterval: 1, max: points.length ? points[0].signed || null : null },
    series: [series("registered", "#0b5cad"), series("started", "#17803d"), series("operating", "#b54708")]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
