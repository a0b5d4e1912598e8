// Draws every chart declared by the bar_chart macro: data sits in a JSON script next to the div.
(function () {
  "use strict";
  function draw() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll(".chart-area").forEach(function (el) {
      var source = document.getElementById(el.id + "-data");
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      Plotly.newPlot(el, [{ type: "bar", x: data.labels, y: data.values, marker: { color: "#0b5cad" },
        hovertemplate: "%{x}: %{y}<extra></extra>" }], {
        margin: { t: 10, r: 10, b: 50, l: 50 }, xaxis: { title: { text: data.x } },
        yaxis: { title: { text: data.y }, rangemode: "tozero" }, height: 280
      }, { displaylogo: false, displayModeBar: false, responsive: true });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
