/* The lead figures' chart: conversion (bars) and median days per stage (bars) by source,
   drawn with the vendored ECharts from the page's JSON; the table below has the same figures. */
(function () {
  "use strict";
  var node = document.getElementById("lead-chart");
  var dataNode = document.getElementById("lead-chart-data");
  if (!node || !dataNode || typeof echarts === "undefined") return;
  var data = JSON.parse(dataNode.textContent);
  var labels = JSON.parse(document.getElementById("lead-chart-labels").textContent);
  var series = [{ name: labels.conversion, type: "bar", yAxisIndex: 0, data: data.conversion }];
  data.stages.forEach(function (stage, i) {
    series.push({ name: stage, type: "bar", yAxisIndex: 1, data: data.medians[i] });
  });
  var chart = echarts.init(node, null, { renderer: "canvas" });
  chart.setOption({
    color: ["#0b5cad", "#9ec5ee", "#4a90d9", "#083b73"],
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 40, top: 40, bottom: 60 },
    xAxis: { type: "category", data: data.sources, axisLabel: { interval: 0, rotate: 30 } },
    yAxis: [
      { type: "value", name: labels.conversion, max: 100 },
      { type: "value", name: labels.median }
    ],
    series: series
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
