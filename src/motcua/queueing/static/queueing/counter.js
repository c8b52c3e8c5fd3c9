// Optional 1:1 face check at the counter: opens the camera only when the officer expands it.
(function () {
  "use strict";
  const box = document.getElementById("face-check");
  if (!box) return;
  const video = document.getElementById("face-video");
  const out = document.getElementById("face-result");
  let stream = null;
  box.addEventListener("toggle", async () => {
    if (box.open && !stream && navigator.mediaDevices) {
      try { stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false }); video.srcObject = stream; }
      catch (e) { out.textContent = "Không mở được camera."; }
    } else if (!box.open && stream) { stream.getTracks().forEach((t) => t.stop()); stream = null; }
  });
  document.getElementById("face-go").addEventListener("click", () => {
    if (!video.videoWidth) { out.textContent = "Camera chưa sẵn sàng."; return; }
    const c = document.createElement("canvas");
    c.width = video.videoWidth; c.height = video.videoHeight;
    c.getContext("2d").drawImage(video, 0, 0);
    c.toBlob(async (blob) => {
      const form = new FormData();
      form.append("image", blob, "frame.jpg");
      form.append("ticket", box.dataset.ticket);
      const csrf = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";
      const r = await fetch(box.dataset.url, { method: "POST", body: form, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" });
      const body = await r.json();
      out.textContent = body.message || "";
    }, "image/jpeg", 0.9);
  });
})();
