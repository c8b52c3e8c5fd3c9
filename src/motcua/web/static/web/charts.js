/* Draws every chart of a page with chart.js (from /static/vendor/chartjs/).
 * The data comes from <script type="application/json"> blocks built on the server
 * (web/chartdata.py); the same figures are in the table under each chart. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") return; // the tables still carry every figure

  var fmt1 = new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 1 });
  var phone = window.matchMedia("(max-width: 600px)").matches;
  // Never below 12 px, whatever the screen (issue 15: chart text was ~5 px on a phone).
  var base = phone ? 13 : 14;
  var rootSize = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
  base = Math.max(12, Math.round(base * rootSize / 16)); // follows the browser's text size

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = base;
  Chart.defaults.color = "#1a1a1a";
  Chart.defaults.animation = false;

  function number(value, unit) {
    if (value === null || value === undefined) return "–";
    return fmt1.format(value) + (unit || "");
  }

  // A dashed line at the target (e.g. 99 % on time), labelled.
  var targetLine = {
    id: "motcuaTarget",
    afterDatasetsDraw: function (chart, args, opts) {
      if (!opts || opts.value === undefined || opts.value === null) return;
      var horizontal = chart.options.indexAxis === "y";
      var scale = horizontal ? chart.scales.x : chart.scales.y;
      var area = chart.chartArea;
      var pos = scale.getPixelForValue(opts.value);
      var ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = "#1a1a1a";
      ctx.lineWidth = 2;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      if (horizontal) { ctx.moveTo(pos, area.top); ctx.lineTo(pos, area.bottom); }
      else { ctx.moveTo(area.left, pos); ctx.lineTo(area.right, pos); }
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#1a1a1a";
      ctx.font = "600 " + base + "px " + Chart.defaults.font.family;
      ctx.textAlign = horizontal ? "right" : "left";
      if (horizontal) ctx.fillText(opts.label, pos - 4, area.top - 6);
      else ctx.fillText(opts.label, area.left + 4, pos - 6);
      ctx.restore();
    }
  };

  function draw(canvas) {
    if (canvas.dataset.drawn) return;
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var spec = JSON.parse(source.textContent);
    var box = canvas.parentElement;
    var rows = spec.labels.length;
    if (spec.horizontal) {
      var lines = spec.labels.reduce(function (n, l) { return n + (Array.isArray(l) ? l.length : 1); }, 0);
      box.style.height = Math.max(180, lines * (base + 6) + rows * 14 + 120) + "px";
    } else {
      box.style.height = (phone ? 300 : 340) + "px";
    }
    var valueAxis = {
      min: spec.axis.min,
      max: spec.axis.max,
      stacked: spec.stacked,
      grid: { color: "#d5dae1" },
      ticks: {
        stepSize: spec.axis.step,
        precision: spec.unit === "%" ? undefined : 0,
        callback: function (v) { return number(v, spec.unit); }
      },
      title: { display: true, text: spec.axis.title }
    };
    var categoryAxis = {
      stacked: spec.stacked,
      grid: { display: false },
      ticks: { autoSkip: !spec.horizontal, maxRotation: 45, minRotation: 0 }
    };
    var datasets = spec.datasets.map(function (d) {
      var line = spec.type === "line";
      return {
        label: d.label,
        data: d.data,
        backgroundColor: d.colors,
        borderColor: line ? d.colors : "#ffffff",
        borderWidth: line ? 3 : 1,
        pointRadius: line ? 4 : undefined,
        spanGaps: false,
        maxBarThickness: 36
      };
    });
    canvas.dataset.drawn = "1";
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      plugins: [targetLine],
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        layout: { padding: { top: spec.target ? base + 10 : 4, right: 12 } },
        scales: spec.horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
        plugins: {
          legend: { display: spec.datasets.length > 1, position: "top", labels: { boxWidth: base, padding: 12 } },
          title: { display: false },
          motcuaTarget: spec.target || {},
          tooltip: {
            callbacks: {
              title: function (items) {
                var l = items.length ? items[0].label : "";
                return Array.isArray(l) ? l.join(" ") : String(l).split(",").join(" ");
              },
              label: function (item) {
                var v = spec.horizontal ? item.parsed.x : item.parsed.y;
                return item.dataset.label + ": " + number(v, spec.unit);
              }
            }
          }
        }
      }
    });
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
})();
