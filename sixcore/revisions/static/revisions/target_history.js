// A KPI's annual target in force quarter by quarter: a step wherever an approved revision changed it.
// The same figures are in the "目標變更" table on the page, so without ECharts only the picture is lost.
(function () {
  "use strict";
  var el = document.getElementById("target-chart");
  var dataEl = document.getElementById("target-data");
  if (!el || !dataEl) { return; }
  if (typeof window.echarts === "undefined") { el.style.display = "none"; return; }
  var data = JSON.parse(dataEl.textContent);
  var chart = window.echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    tooltip: { trigger: "axis" },
    grid: { left: 50, right: 20, top: 30, bottom: 40 },
    xAxis: { type: "category", data: data.quarters },
    yAxis: { type: "value" },
    series: [{
      type: "line", step: "end", data: data.values, connectNulls: false,
      markLine: {
        symbol: "none", label: { formatter: "rev. {b}" },
        data: data.marks.map(function (m) { return { xAxis: m.quarter, name: String(m.revision) }; })
      }
    }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
}());
