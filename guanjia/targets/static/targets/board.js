// The targets board: an ECharts gauge per indicator and bars per area, lagging areas in red.
(function () {
  var data = JSON.parse(document.getElementById("target-charts").textContent || "[]");
  var labels = JSON.parse(document.getElementById("target-labels").textContent || "{}");
  if (typeof echarts === "undefined") return;
  var RED = "#b42318", GREEN = "#17803d", BLUE = "#0b5cad";
  var charts = [];
  function pct(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; }
  data.forEach(function (item) {
    var gaugeEl = document.getElementById("gauge-" + item.id);
    if (gaugeEl) {
      var gauge = echarts.init(gaugeEl, null, { renderer: "svg" });
      var ratio = item.ratio === null ? 0 : Math.round(item.ratio * 1000) / 10;
      gauge.setOption({
        animation: false,
        series: [{
          type: "gauge", min: 0, max: 100, startAngle: 210, endAngle: -30, radius: "92%",
          center: ["50%", "55%"],
          progress: { show: item.ratio !== null, width: 16, roundCap: true,
                      itemStyle: { color: item.lagging ? RED : GREEN } },
          axisLine: { roundCap: true, lineStyle: { width: 16,
            color: [[Math.min(item.expected, 1), "#c9d7e6"], [1, "#eef2f6"]] } },
          axisTick: { show: false }, splitLine: { show: false }, axisLabel: { show: false },
          pointer: { show: false }, anchor: { show: false },
          title: { offsetCenter: [0, "42%"], fontSize: 12, color: "#616e7c" },
          detail: { offsetCenter: [0, "0%"], fontSize: 26, fontWeight: "bold",
                    color: item.lagging ? RED : "#1f2933",
                    formatter: function () { return pct(item.ratio); } },
          data: [{ value: Math.min(ratio, 100), name: labels.expected + " " + pct(item.expected) }]
        }]
      });
      charts.push(gauge);
    }
    var barsEl = document.getElementById("bars-" + item.id);
    if (barsEl && item.areas.length) {
      var bars = echarts.init(barsEl, null, { renderer: "svg" });
      bars.setOption({
        animation: false,
        grid: { left: 8, right: 44, top: 26, bottom: 10, containLabel: true },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: function (p) {
          var a = item.areas[p[0].dataIndex];
          return a.name + "<br>" + labels.target + ": " + (a.target === null ? "—" : a.target) + " " + item.unit +
            "<br>" + labels.actual + ": " + (a.actual === null ? "—" : a.actual) + " " + item.unit +
            "<br>" + labels.progress + ": " + pct(a.ratio);
        } },
        xAxis: { type: "value", min: 0, axisLabel: { formatter: "{value}%" },
                 max: function (v) { return Math.max(100, Math.ceil(v.max / 10) * 10); } },
        yAxis: { type: "category", inverse: true, data: item.areas.map(function (a) { return a.name; }) },
        series: [{
          type: "bar", barMaxWidth: 16,
          label: { show: true, position: "right", formatter: function (p) { return pct(item.areas[p.dataIndex].ratio); } },
          data: item.areas.map(function (a) {
            return { value: a.ratio === null ? 0 : Math.round(a.ratio * 1000) / 10,
                     itemStyle: { color: a.lagging ? RED : BLUE } };
          }),
          markLine: { symbol: "none", label: { position: "start", formatter: labels.expected }, silent: true, lineStyle: { color: "#616e7c", type: "dashed" },
                      data: [{ xAxis: Math.round(item.expected * 1000) / 10 }] }
        }]
      });
      charts.push(bars);
    }
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
