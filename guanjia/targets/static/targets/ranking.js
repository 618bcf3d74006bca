// The assessment ranking: completion % per subject as horizontal bars (ECharts), best on top.
(function () {
  var node = document.getElementById("ranking-data");
  var el = document.getElementById("ranking-chart");
  if (!node || !el || typeof echarts === "undefined") return;
  var data = JSON.parse(node.textContent || "{}");
  var names = (data.names || []).slice().reverse();
  var values = (data.completion || []).slice().reverse();
  el.style.height = Math.max(160, 28 * names.length + 40) + "px";
  var chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    grid: { left: 8, right: 56, top: 10, bottom: 10, containLabel: true },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    xAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
    yAxis: { type: "category", data: names },
    series: [{
      type: "bar", data: values, name: data.label,
      itemStyle: { color: function (p) { return p.value >= 100 ? "#17803d" : "#0b5cad"; } },
      label: { show: true, position: "right", formatter: "{c}%" }
    }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
