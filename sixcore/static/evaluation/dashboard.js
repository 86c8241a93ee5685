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

  // Room for category labels: at most 40 % of the chart's width, so bars stay readable on phones.
  function labelWidth(el, wanted) {
    return Math.max(80, Math.min(wanted, Math.floor(el.clientWidth * 0.4)));
  }

  function narrow(el) { return el.clientWidth < 600; }

  function lights(el, data) {
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { bottom: 0 },
      grid: { left: 10, right: 20, top: 10, bottom: 40, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: data.groups, inverse: true, axisLabel: { width: labelWidth(el, 220), overflow: "truncate" } },
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "lights", barMaxWidth: 40, data: s.data, itemStyle: { color: s.color } };
      })
    };
  }

  function budget(el, data) {
    // Bars per group against the green threshold (dashed line); on a phone the bars lie down so
    // that the group names are written out, not overlapped.
    var colour = function (p) {
      return p.value == null ? "#b0bec5" : p.value >= data.line ? "#2e7d32" : p.value >= data.yellow ? "#f9a825" : "#c62828";
    };
    var across = narrow(el) || data.groups.length > 8;
    var categories = { type: "category", data: data.groups, inverse: across,
      axisLabel: across ? { width: labelWidth(el, 220), overflow: "truncate" }
        : { interval: 0, rotate: data.groups.length > 4 ? 30 : 0, width: 120, overflow: "truncate" } };
    var values = { type: "value", name: "%", min: 0 };
    var line = across ? { xAxis: data.line } : { yAxis: data.line };
    return {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v.toFixed(2) + "%"; } },
      grid: { left: 10, right: 40, top: 24, bottom: 10, containLabel: true },
      xAxis: across ? values : categories,
      yAxis: across ? categories : values,
      series: [{
        name: data.name, type: "bar", barMaxWidth: 48, data: data.rates, itemStyle: { color: colour },
        markLine: { symbol: "none", lineStyle: { type: "dashed", color: "#0b5cab" }, label: { formatter: data.line + "%", position: across ? "start" : "end" }, data: [line] }
      }]
    };
  }

  function kpi(el, data) {
    return {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 10, right: 20, top: 20, bottom: 40, containLabel: true },
      // "110 年第 1 季" on two lines on a phone: nothing rotated out of the chart, overlaps hidden.
      xAxis: { type: "category", data: data.periods, axisLabel: { hideOverlap: true,
        formatter: function (v) { return narrow(el) ? String(v).replace(/年\s*/, "年\n") : v; } } },
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
      xAxis: { type: "time", position: "top", axisLabel: { hideOverlap: true, formatter: function (v) { return rocMonth(v); } }, splitLine: { show: true } },
      yAxis: { type: "category", data: labels, inverse: true, axisLabel: { width: labelWidth(el, 240), overflow: "truncate" } },
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
    if (el.getAttribute("data-chart") === "budget" && (narrow(el) || data.groups.length > 8)) {
      el.style.height = Math.max(300, 60 + data.groups.length * 26) + "px";  // one readable row per bar
    }
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(build(el, data));
    el.setAttribute("data-rendered", "true");
    charts.push({ chart: chart, el: el, build: build, data: data });
  });
  // On resize the layout is rebuilt (label widths, bar direction), not only stretched.
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      charts.forEach(function (c) { c.chart.resize(); c.chart.setOption(c.build(c.el, c.data), true); });
    }, 150);
  });
}());
