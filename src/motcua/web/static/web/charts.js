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

  // Category labels wrap at spaces to fit about 45 % of the chart's width: whole words on
  // several lines rather than a cut "Ủy ban nhân dân phư…" or "12/202".
  function wrap(label, chars) {
    var text = String(label);
    if (text.length <= chars) return text;
    var lines = [], line = "";
    text.split(/\s+/).forEach(function (word) {
      if (line && (line + " " + word).length > chars) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) lines.push(line);
    return lines;
  }

  function draw(canvas) {
    if (canvas.dataset.drawn) return;
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var spec = JSON.parse(source.textContent);
    var box = canvas.parentElement;
    var labels = spec.labels;
    if (spec.horizontal) {
      var chars = Math.max(10, Math.floor((box.clientWidth * 0.45) / (base * 0.56)));
      labels = spec.labels.map(function (l) { return wrap(l, chars); });
      var lines = labels.reduce(function (n, l) { return n + (Array.isArray(l) ? l.length : 1); }, 0);
      var legend = spec.datasets.length > 1 ? (phone ? 90 : 50) : 0;
      box.style.height = Math.max(220, lines * (base + 6) + labels.length * 16 + 110 + legend) + "px";
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
        maxRotation: 0,
        autoSkip: false, // every 20 %: the unit is in the axis title, so the ticks stay short
        precision: spec.unit === "%" ? undefined : 0,
        callback: function (v) { return number(v, ""); }
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
      data: { labels: labels, datasets: datasets },
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
