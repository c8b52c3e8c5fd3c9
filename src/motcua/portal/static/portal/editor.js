// A small rich-text editor: a contenteditable area mirrored into the form's textarea.
// Safety does not depend on this file: the server sanitises every body with an allow-list.
(function () {
  "use strict";
  var source = document.querySelector("textarea.rte-source");
  var area = document.querySelector(".rte-area");
  var toolbar = document.querySelector(".rte-toolbar");
  if (!source || !area || !toolbar || !document.execCommand) return;
  area.innerHTML = source.value;
  source.hidden = true;
  area.hidden = false;
  toolbar.hidden = false;
  var sync = function () { source.value = area.innerHTML; };
  area.addEventListener("input", sync);
  toolbar.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button[data-cmd]");
    if (!btn) return;
    var cmd = btn.getAttribute("data-cmd");
    var arg = btn.getAttribute("data-arg");
    if (cmd === "createLink") {
      arg = window.prompt("Địa chỉ liên kết (https://…)", "https://");
      if (!arg || !/^(https?:|mailto:|\/)/i.test(arg)) return;
    }
    area.focus();
    document.execCommand(cmd, false, arg || null);
    sync();
  });
  source.form.addEventListener("submit", sync);
})();
