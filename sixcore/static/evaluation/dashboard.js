// Charts of the evaluation dashboards (ECharts, served as a static file). Every chart's figures are
// also in the table next to it, so without the library only the picture is lost, never the data.
(function () {
  "use strict";

  function rocMonth(iso) {
    // 2023-03-01 → 112/03 (the axis labels of the program document)
    var d = new Date(iso);
    var m = d.getUTCMonth() + 1;
    return (d.getUTCFullYear() - 1911) + "/" + (m < 10 ? "0" + m : m);
  }

  function lights(el, data) {
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { bottom: 0 },
      grid: { left: 10, right: 20, top: 10, bottom: 40, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: data.groups, inverse: true, axisLabel: { width: 220, overflow: "truncate" } },
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "lights", data: s.data, itemStyle: { color: s.color } };
      })
    };
  }

  function budget(el, data) {
    return {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v.toFixed(2) + "%"; } },
      grid: { left: 10, right: 30, top: 20, bottom: 10, containLabel: true },
      xAxis: { type: "category", data: data.groups, axisLabel: { interval: 0, rotate: data.groups.length > 6 ? 30 : 0, width: 120, overflow: "truncate" } },
      yAxis: { type: "value", name: "%", min: 0 },
      series: [{
        name: "執行率", type: "bar", data: data.rates,
        itemStyle: { color: function (p) { return p.value == null ? "#b0bec5" : p.value >= data.line ? "#2e7d32" : p.value >= 80 ? "#f9a825" : "#c62828"; } },
        markLine: { symbol: "none", lineStyle: { type: "dashed", color: "#0b5cab" }, label: { formatter: data.line + "%" }, data: [{ yAxis: data.line }] }
      }]
    };
  }

  function kpi(el, data) {
    return {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 10, right: 20, top: 20, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: data.periods },
      yAxis: { type: "value" },
      series: data.series.map(function (s) {
        return s.kind === "scatter"
          ? { name: s.name, type: "scatter", symbolSize: 12, symbol: "diamond", data: s.data }
          : { name: s.name, type: "line", connectNulls: false, data: s.data };
      })
    };
  }

  function gantt(el, data) {
    var labels = data.items.map(function (i) { return i.label; });
    var rows = data.items.map(function (item, index) {
      return [index, +new Date(item.start), +new Date(item.end), item.reported, item.light, item.lagging];
    });
    function render(params, api) {
      var y = api.value(0), start = api.coord([api.value(1), y]), end = api.coord([api.value(2), y]);
      var height = api.size([0, 1])[1] * 0.6, width = Math.max(end[0] - start[0], 2);
      var reported = api.value(3), light = api.value(4), lagging = api.value(5);
      var top = start[1] - height / 2;
      var children = [{
        type: "rect", shape: { x: start[0], y: top, width: width, height: height },
        style: { fill: "#dbe7f5", stroke: lagging ? data.colours[light] : "#9fb8d6", lineWidth: lagging ? 2 : 1 }
      }];
      if (reported !== null && reported !== undefined && !isNaN(reported)) {
        children.push({
          type: "rect", shape: { x: start[0], y: top, width: width * reported / 100, height: height },
          style: { fill: lagging ? data.colours[light] : "#0b5cab", opacity: 0.85 }
        });
      }
      return { type: "group", children: children };
    }
    return {
      tooltip: {
        formatter: function (p) {
          var item = data.items[p.value[0]];
          return item.label + "<br>" + item.start_label + "–" + item.end_label +
            (item.reported == null ? "" : "<br>實際 " + item.reported + "%（預定 " + item.planned + "%）");
        }
      },
      grid: { left: 10, right: 20, top: 30, bottom: 10, containLabel: true },
      xAxis: { type: "time", position: "top", axisLabel: { formatter: function (v) { return rocMonth(v); } }, splitLine: { show: true } },
      yAxis: { type: "category", data: labels, inverse: true, axisLabel: { width: 240, overflow: "truncate" } },
      series: [{
        type: "custom", renderItem: render, encode: { x: [1, 2], y: 0 }, data: rows,
        markLine: { symbol: "none", silent: true, lineStyle: { type: "dashed", color: "#c62828" }, label: { formatter: rocMonth(data.as_of) }, data: [{ xAxis: +new Date(data.as_of) }] }
      }]
    };
  }

  var builders = { lights: lights, budget: budget, kpi: kpi, gantt: gantt };
  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    var build = builders[el.getAttribute("data-chart")];
    if (!source || !build) { return; }
    if (typeof window.echarts === "undefined") { el.style.display = "none"; return; }
    var data = JSON.parse(source.textContent);
    if (el.getAttribute("data-chart") === "gantt") {
      el.style.height = Math.max(240, 40 + data.items.length * 28) + "px";
    }
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(build(el, data));
    el.setAttribute("data-rendered", "true");
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
}());
