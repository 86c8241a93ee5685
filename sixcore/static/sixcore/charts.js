// Budget chart on the overview. The same figures are always in the table next to it, so a missing
// chart library (echarts not collected) only loses the picture, never the data.
(function () {
  "use strict";
  var el = document.getElementById("budget-chart");
  var dataEl = document.getElementById("budget-data");
  if (!el || !dataEl) { return; }
  if (typeof window.echarts === "undefined") { el.style.display = "none"; return; }
  var data = JSON.parse(dataEl.textContent);
  var chart = window.echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { type: "scroll", bottom: 0 },
    grid: { left: 50, right: 20, top: 30, bottom: 60 },
    xAxis: { type: "category", data: data.years.map(function (y) { return y + " 年"; }) },
    yAxis: { type: "value", name: "億元" },
    series: data.series.map(function (s) {
      return { name: s.name, type: "bar", stack: "budget", data: s.data, emphasis: { focus: "series" } };
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
}());
