// Small accessibility helpers shared by the portal and the back office (no inline script).
(function () {
  "use strict";

  // Fields with an error: mark them invalid and tie the message to the field, so a screen
  // reader reads it on the field itself.
  var n = 0;
  document.querySelectorAll(".field").forEach(function (field) {
    var error = field.querySelector(".error");
    var control = field.querySelector("input:not([type=hidden]), select, textarea");
    if (!error || !control) return;
    if (!error.id) error.id = "loi-" + (++n);
    control.setAttribute("aria-invalid", "true");
    var described = (control.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(error.id) < 0) described.push(error.id);
    control.setAttribute("aria-describedby", described.join(" "));
  });

  // After a failed form or an answered lookup the page reloads with the answer somewhere
  // below: move focus there (the first invalid field, else the marked result or error box)
  // so keyboard and screen-reader users land on it, and it is read out.
  function focusTarget() {
    var invalid = document.querySelector("main [aria-invalid=true]");
    if (invalid) return invalid;
    return document.querySelector("main [data-focus], main .error[role=alert], main form .error");
  }
  var target = focusTarget();
  if (target) {
    if (!target.matches("input, select, textarea, button, a[href], [tabindex]")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus({ preventScroll: false });
    if (target.scrollIntoView) target.scrollIntoView({ block: "center" });
  }
})();

// Tables that scroll sideways on a small screen (CSS makes them blocks): reachable by keyboard
// so they can be scrolled with the arrow keys. Named regions in templates (.table-wrap) already are.
(function () {
  "use strict";
  function mark() {
    document.querySelectorAll("main table").forEach(function (table) {
      if (table.closest(".table-wrap")) return;
      var scrolls = table.scrollWidth > table.clientWidth + 1 && getComputedStyle(table).overflowX !== "visible";
      if (scrolls && !table.hasAttribute("tabindex")) {
        table.setAttribute("tabindex", "0");
        table.dataset.scrollFocus = "1";
      } else if (!scrolls && table.dataset.scrollFocus) {
        table.removeAttribute("tabindex");
        delete table.dataset.scrollFocus;
      }
    });
  }
  mark();
  window.addEventListener("resize", mark);
  document.addEventListener("htmx:afterSwap", mark);
})();
