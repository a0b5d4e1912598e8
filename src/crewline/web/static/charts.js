// Draws every chart declared by the bar_chart and line_chart macros: data sits in a JSON script
// next to the div.
(function () {
  "use strict";
  function draw() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll(".chart-area").forEach(function (el) {
      var source = document.getElementById(el.id + "-data");
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      if (data.kind === "line") { line(el, data); return; }
      if (data.kind === "funnel") { funnel(el, data); return; }
      var colours = data.labels.map(function (label) {
        return label === data.highlight ? "#b34700" : "#0b5cad";
      });
      Plotly.newPlot(el, [{ type: "bar", x: data.labels, y: data.values, marker: { color: colours },
        hovertemplate: "%{x}: %{y" + (data.percent ? ":.1%" : "") + "}<extra></extra>" }], {
        margin: { t: 10, r: 10, b: 50, l: 50 }, xaxis: { title: { text: data.x } },
        yaxis: { title: { text: data.y }, rangemode: "tozero", tickformat: data.percent ? ".0%" : "" },
        height: 280
      }, { displaylogo: false, displayModeBar: false, responsive: true });
    });
  }
  var COLOURS = ["#0b5cad", "#b34700", "#2e7d32", "#6a1b9a"];
  function funnel(el, data) {
    Plotly.newPlot(el, [{ type: "funnel", y: data.labels, x: data.values, marker: { color: "#0b5cad" },
      textinfo: "value+percent initial", hovertemplate: "%{y}: %{x}<extra></extra>" }], {
      margin: { t: 10, r: 10, b: 30, l: 120 }, height: 300
    }, { displaylogo: false, displayModeBar: false, responsive: true });
  }
  function line(el, data) {
    var traces = data.series.map(function (s, i) {
      return { type: "scatter", mode: "lines+markers", name: s.name, x: data.x, y: s.values,
        line: { color: COLOURS[i % COLOURS.length] }, connectgaps: false,
        hovertemplate: "%{x}: %{y" + (data.percent ? ":.1%" : "") + "}<extra>" + s.name + "</extra>" };
    });
    Plotly.newPlot(el, traces, {
      margin: { t: 10, r: 10, b: 50, l: 60 }, height: 300, legend: { orientation: "h" },
      yaxis: { title: { text: data.y }, tickformat: data.percent ? ".0%" : "", rangemode: "tozero" }
    }, { displaylogo: false, displayModeBar: false, responsive: true });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
