// The citizen's live ticket page: refresh on every queue event of the office, and every 20 s.
(function () {
  "use strict";
  const root = document.getElementById("ticket-live");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  async function refresh() {
    try {
      const r = await fetch(root.dataset.api, { cache: "no-store" });
      if (!r.ok) return;
      const t = await r.json();
      $("t-status").textContent = t.status_label;
      $("t-ahead").textContent = t.people_ahead;
      $("t-wait").textContent = t.estimated_wait_s ? "khoảng " + Math.max(1, Math.round(t.estimated_wait_s / 60)) + " phút" : "—";
      $("t-counter").textContent = t.counter ? " – mời đến quầy số " + t.counter : "";
    } catch (e) { /* offline for a moment: the next event or tick retries */ }
  }
  if (window.EventSource) {
    const es = new EventSource(root.dataset.events);
    es.addEventListener("call", refresh);
    es.addEventListener("update", refresh);
  }
  setInterval(refresh, 20000);
})();
