// Charts of the supplies watch. Every chart's figures are also in the table beside it, so a missing
// chart library only loses the picture, never the data.
(function () {
  "use strict";
  var COLOURS = { red: "#d64545", yellow: "#e8b931", green: "#3f9b57", grey: "#9aa3ad" };

  function rocDay(value) {
    // Axis dates in the ROC calendar, as the tables beside the charts: 112/8/1.
    var d = new Date(value);
    return (d.getFullYear() - 1911) + "/" + (d.getMonth() + 1) + "/" + d.getDate();
  }

  function read(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function narrow(el) { return el.clientWidth < 600; }

  function init(el) {
    if (typeof window.echarts === "undefined") { el.style.display = "none"; return null; }
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  // Dashboard: each item's cover as a percentage of its minimum, coloured by status.
  var dashEl = document.getElementById("supplies-dashboard-chart");
  var dash = read("supplies-dashboard-data");
  if (dashEl && dash) {
    var chart = init(dashEl);
    if (chart) {
      chart.setOption({
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
        grid: { left: 10, right: 30, top: 20, bottom: 40, containLabel: true },
        xAxis: { type: "value", name: "占下限 %", nameLocation: "middle", nameGap: 26,
          splitNumber: narrow(dashEl) ? 3 : 6, axisLabel: { hideOverlap: true } },
        yAxis: { type: "category", data: dash.items, inverse: true,
          axisLabel: { width: Math.max(70, Math.floor(dashEl.clientWidth * 0.35)), overflow: "truncate" } },
        series: [{
          type: "bar",
          data: dash.ratios.map(function (v, i) { return { value: v, itemStyle: { color: COLOURS[dash.statuses[i]] } }; }),
          markLine: { symbol: "none", data: [{ xAxis: 100, name: "下限" }], lineStyle: { color: "#333", type: "dashed" } }
        }]
      });
      dashEl.setAttribute("data-rendered", "true");
    }
  }

  // Item page: the cover over time, the minimum as a step line that moves when the law changes.
  var itemEl = document.getElementById("supplies-item-chart");
  var item = read("supplies-item-data");
  if (itemEl && item) {
    var itemChart = init(itemEl);
    if (itemChart) {
      var series = [
        { name: item.name + "（" + item.measure + "）", type: "line", showSymbol: true,
          data: item.dates.map(function (d, i) { return [d, item.cover[i]]; }) }
      ];
      if (item.minimum.some(function (p) { return p[1] !== null; })) {
        series.push({ name: "下限", type: "line", step: "end", showSymbol: false,
          lineStyle: { color: COLOURS.red, type: "dashed" }, itemStyle: { color: COLOURS.red }, data: item.minimum });
      }
      var yAxes = [{ type: "value", name: item.measure }];
      if (item.price && item.price.length) {
        yAxes.push({ type: "value", name: item.price_unit, position: "right" });
        series.push({ name: "價格", type: "line", yAxisIndex: 1, data: item.dates.map(function (d, i) { return [d, item.price[i]]; }) });
      }
      itemChart.setOption({
        tooltip: { trigger: "axis" },
        legend: { bottom: 0 },
        grid: { left: 10, right: 10, top: 30, bottom: 50, containLabel: true },
        // The period asked for (start → as-of), so that a yearly item's single report is not on the edge.
        xAxis: { type: "time", min: item.minimum[0][0], max: item.minimum[item.minimum.length - 1][0], splitNumber: narrow(itemEl) ? 3 : 8, axisLabel: { hideOverlap: true, formatter: rocDay } },
        yAxis: yAxes,
        series: series
      });
      itemEl.setAttribute("data-rendered", "true");
    }
  }
}());
