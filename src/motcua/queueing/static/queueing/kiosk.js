// Kiosk: choose a service, look at the camera (frames go to the check-in API as JPEG), or
// scan the ID card QR / type a phone number. The server decides; we show its Vietnamese message.
(function () {
  "use strict";
  const root = document.getElementById("kiosk");
  if (!root) return;
  const api = root.dataset.api;
  const office = root.dataset.office;
  const device = root.dataset.device || "kiosk";
  const video = document.getElementById("kiosk-video");
  const hint = document.getElementById("camera-hint");
  const state = { service: null, stream: null, loop: null, busy: false, lastFrame: null, consent: "none", tries: 0, cameraSession: 0 };
  const FRAME_MS = 700;
  const MAX_TRIES = 25;
  let resetTimer = null;
  // Speech: once someone uses a key or asks for it, every screen is read aloud (the board's
  // voice from the server, the browser's Vietnamese speech otherwise) until the next visitor.
  const speech = { on: false, audio: null, params: "" };

  function show(name) {
    root.querySelectorAll(".kiosk-screen").forEach((el) => { el.hidden = el.dataset.screen !== name; });
    root.dataset.current = name;
    if (name !== "camera") stopCamera();
    if (name === "identify") { const q = document.getElementById("qr-input"); q.value = ""; document.getElementById("phone-input").value = ""; q.focus(); }
    else {
      // Keyboard users start on the screen's first choice (focus never stays on a hidden button).
      const first = root.querySelector('.kiosk-screen[data-screen="' + name + '"] [data-key="1"]');
      if (first && document.activeElement && document.activeElement !== document.body) first.focus();
    }
    clearTimeout(resetTimer);
    if (name === "slip" || name === "error") resetTimer = setTimeout(() => { speech.on = false; show("services"); }, 30000);
    if (name !== "slip") speech.params = "";
    if (speech.on) speak();
  }

  // ---- speech and keys
  function speakInBrowser(url) {
    if (!window.speechSynthesis) return;
    fetch(url + "&dang=chu", { credentials: "same-origin" })
      .then((r) => r.json())
      .then((body) => {
        speechSynthesis.cancel();
        const u = new SpeechSynthesisUtterance(body.text);
        u.lang = "vi-VN";
        const vi = speechSynthesis.getVoices().find((v) => v.lang && v.lang.toLowerCase().startsWith("vi"));
        if (vi) u.voice = vi;
        speechSynthesis.speak(u);
      })
      .catch(() => {});
  }

  function speak() {
    speech.on = true;
    const screen = root.dataset.current || "services";
    const url = root.dataset.voice + "?man-hinh=" + screen + (screen === "slip" ? speech.params : "");
    root.dataset.spoken = screen;
    if (speech.audio) { speech.audio.pause(); speech.audio = null; }
    if (window.speechSynthesis) speechSynthesis.cancel();
    if (root.dataset.serverVoice === "1") {
      speech.audio = new Audio(url);
      speech.audio.play().catch(() => {});
    } else {
      speakInBrowser(url);
    }
  }

  function currentScreen() {
    return root.querySelector('.kiosk-screen[data-screen="' + root.dataset.current + '"]');
  }

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.altKey || ev.metaKey) return;
    const typing = ev.target.matches && ev.target.matches("input, textarea");
    const key = ev.key === "Multiply" ? "*" : ev.key;
    if (key === "Escape" || (key === "Backspace" && !typing)) {
      ev.preventDefault();
      speech.on = true;
      if (root.dataset.current !== "services") show("services"); else speak();
      return;
    }
    if (key === "*" || (key === "0" && !typing)) {
      ev.preventDefault();
      speak();
      return;
    }
    if (!typing && /^[1-9]$/.test(key)) {
      const choice = currentScreen().querySelector('[data-key="' + key + '"]');
      ev.preventDefault();
      speech.on = true;
      if (choice) choice.click(); else speak();
    }
  });

  function minutes(s) {
    if (!s) return "được gọi ngay";
    const m = Math.max(1, Math.round(s / 60));
    return "khoảng " + m + " phút";
  }

  function showSlip(body) {
    document.getElementById("slip-number").textContent = body.ticket;
    document.getElementById("slip-service").textContent = body.service;
    document.getElementById("slip-ahead").textContent = body.people_ahead;
    document.getElementById("slip-wait").textContent = minutes(body.estimated_wait_s);
    document.getElementById("slip-reused").hidden = !body.reused;
    document.getElementById("slip-booking").hidden = !body.booking_slot;
    document.getElementById("slip-booking-time").textContent = body.booking_slot || "";
    document.getElementById("slip-priority").hidden = !body.priority;
    document.getElementById("slip-priority-name").textContent = body.priority || "";
    document.getElementById("slip-qr").src = body.url + "qr.svg";
    const wait = body.estimated_wait_s ? Math.max(1, Math.round(body.estimated_wait_s / 60)) : 0;
    speech.params = "&so=" + encodeURIComponent(body.ticket) + "&dich-vu=" + encodeURIComponent(state.service || "") +
      "&truoc=" + (body.people_ahead || 0) + "&phut=" + wait + (body.booking_slot ? "&hen=1" : "");
    show("slip");

  }

  function showError(message) {
    document.getElementById("error-text").textContent = message || "Có lỗi xảy ra, vui lòng thử lại.";
    show("error");
  }

  async function send(form) {
    form.append("office", office);
    form.append("service", state.service);
    form.append("device", device);
    const r = await fetch(api, { method: "POST", body: form, credentials: "same-origin" });
    let body = {};
    try { body = await r.json(); } catch (e) { body = { code: "server_error", message: "Hệ thống đang bận, vui lòng thử lại." }; }
    return { ok: r.ok, status: r.status, body: body };
  }

  // ---- camera
  // The citizen may leave the camera screen (decline, go back, already got a slip) while the
  // browser is still opening the camera: a late answer must neither switch screens nor keep
  // the camera on.
  async function startCamera() {
    state.tries = 0;
    const session = ++state.cameraSession;
    const stillHere = () => session === state.cameraSession && root.dataset.current === "camera";
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { show("identify"); return; }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, facingMode: "user" }, audio: false });
    } catch (e) {
      if (!stillHere()) return;
      hint.textContent = "Không mở được camera. Vui lòng quét mã QR hoặc nhập số điện thoại.";
      setTimeout(() => { if (stillHere()) show("identify"); }, 1500);
      return;
    }
    if (!stillHere()) { stream.getTracks().forEach((t) => t.stop()); return; }
    state.stream = stream;
    video.srcObject = state.stream;
    hint.textContent = "Vui lòng nhìn thẳng vào camera.";
    state.loop = setInterval(tick, FRAME_MS);
  }

  function stopCamera() {
    state.cameraSession += 1;
    if (state.loop) clearInterval(state.loop);
    state.loop = null;
    if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
    state.stream = null;
  }

  function grab() {
    return new Promise((resolve) => {
      if (!video.videoWidth) { resolve(null); return; }
      const canvas = document.createElement("canvas");
      canvas.width = video.videoWidth; canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      canvas.toBlob((b) => resolve(b), "image/jpeg", 0.85);
    });
  }

  async function tick() {
    if (state.busy || !state.loop) return;
    state.busy = true;
    const session = state.cameraSession;
    try {
      const blob = await grab();
      if (!blob) return;
      state.lastFrame = blob;
      state.tries += 1;
      const form = new FormData();
      form.append("image", blob, "frame.jpg");
      const res = await send(form);
      if (!state.loop || session !== state.cameraSession) return;  // the citizen moved on
      if (res.ok) { stopCamera(); showSlip(res.body); return; }
      const code = res.body.code;
      if (code === "face_unknown") { stopCamera(); show("consent"); return; }
      if (code === "face_ambiguous") { stopCamera(); state.consent = "none"; show("identify"); document.getElementById("identify-hint").textContent = res.body.message; return; }
      if (res.status === 422 || res.status === 413) {
        hint.textContent = res.body.message;  // no face, too small, too dark, blurred: keep trying
        if (state.tries >= MAX_TRIES) { stopCamera(); state.consent = "none"; show("identify"); }
        return;
      }
      stopCamera(); showError(res.body.message);
    } catch (e) {
      hint.textContent = "Mất kết nối, đang thử lại…";
    } finally {
      state.busy = false;
    }
  }

  // ---- QR / phone
  async function identify(field, value) {
    const form = new FormData();
    form.append(field, value);
    if (state.consent !== "none" && state.lastFrame) {
      form.append("image", state.lastFrame, "frame.jpg");
      form.append("consent", state.consent);
    }
    const res = await send(form);
    if (res.ok) showSlip(res.body); else showError(res.body.message);
  }

  // On-screen keypad for the phone number: the kiosk works by touch alone.
  const phone = document.getElementById("phone-input");
  root.addEventListener("click", (ev) => {
    const btn = ev.target.closest("button");
    if (!btn) return;
    if (btn.dataset.digit) {
      if (btn.dataset.digit === "back") phone.value = phone.value.slice(0, -1);
      else if (phone.value.replace(/\D/g, "").length < 11) phone.value += btn.dataset.digit;
      return;
    }
    if (btn.hasAttribute("data-speak")) { speak(); return; }
    if (btn.dataset.service) {
      state.service = btn.dataset.service; state.consent = "none"; state.lastFrame = null;
      show("camera"); startCamera();
    } else if (btn.dataset.consent) {
      state.consent = btn.dataset.consent;
      if (state.consent === "none") state.lastFrame = null;
      show("identify");
    } else if (btn.dataset.go === "decline") {
      state.consent = "none"; state.lastFrame = null; show("identify");
    } else if (btn.dataset.go) {
      show(btn.dataset.go);
    }
  });
  document.getElementById("qr-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = document.getElementById("qr-input").value.trim();
    // Digits typed on a keypad land here (the QR reader's field has the focus): a phone number.
    if (/^0[\d ]{8,13}$/.test(v)) identify("phone", v.replace(/\s/g, ""));
    else if (v) identify("qr", v);
  });
  document.getElementById("phone-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = document.getElementById("phone-input").value.trim();
    if (v) identify("phone", v);
  });
  show("services");
})();
