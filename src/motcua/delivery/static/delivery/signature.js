// The citizen's signature drawn on a canvas (finger, pen or mouse) for the handover form.
// Without script the form still works with a photo of the signed slip.
(function () {
  "use strict";
  var box = document.querySelector("[data-signature]");
  var form = document.getElementById("handover-form");
  if (!box || !form) return;
  var canvas = document.getElementById("signature-pad");
  var field = form.querySelector("input[name=signature_data]");
  var state = document.getElementById("signature-state");
  var ctx = canvas.getContext("2d");
  var drawing = false;
  var signed = false;
  var last = null;
  box.hidden = false;

  function blank() {
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#10233f";
  }

  function point(ev) {
    var r = canvas.getBoundingClientRect();
    return {
      x: (ev.clientX - r.left) * (canvas.width / r.width),
      y: (ev.clientY - r.top) * (canvas.height / r.height)
    };
  }

  function update() {
    field.value = signed ? canvas.toDataURL("image/png") : "";
    state.textContent = signed ? "Đã ký." : "Chưa ký.";
  }

  canvas.addEventListener("pointerdown", function (ev) {
    ev.preventDefault();
    canvas.setPointerCapture(ev.pointerId);
    drawing = true;
    last = point(ev);
    ctx.beginPath();
    ctx.arc(last.x, last.y, 1.5, 0, 2 * Math.PI);
    ctx.fillStyle = "#10233f";
    ctx.fill();
  });
  canvas.addEventListener("pointermove", function (ev) {
    if (!drawing) return;
    ev.preventDefault();
    var p = point(ev);
    ctx.beginPath();
    ctx.moveTo(last.x, last.y);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
    last = p;
    signed = true;
  });
  function stop() {
    if (!drawing) return;
    drawing = false;
    update();
  }
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  canvas.addEventListener("pointerleave", stop);

  document.getElementById("signature-clear").addEventListener("click", function () {
    blank();
    signed = false;
    update();
  });
  form.addEventListener("submit", update);
  blank();
  update();
})();
