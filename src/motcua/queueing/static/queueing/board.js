// Display board: a snapshot over JSON, then server-sent events (EventSource reconnects by itself
// and resumes from the last event id). Calls are spoken: server WAV (espeak-ng) when the server
// has it, else the browser's Vietnamese speech.
(function () {
  "use strict";
  const root = document.getElementById("board");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const serverVoice = root.dataset.serverVoice === "1";
  let soundOn = false;
  const spoken = [];
  let speaking = false;

  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c])); }

  function render(snap, flashCounter) {
    $("counters").innerHTML = snap.counters.map((c) =>
      '<tr data-counter="' + c.number + '"' + (c.number === flashCounter ? ' class="flash"' : "") + '><td>Quầy ' + c.number + '</td><td class="ticket">' +
      esc(c.current ? c.current.ticket : "—") + "</td><td>" + esc(c.current ? c.current.service : "") + "</td></tr>").join("");
    $("waiting").textContent = snap.waiting;
    $("avg-wait").textContent = snap.average_wait_s ? Math.max(1, Math.round(snap.average_wait_s / 60)) + " phút" : "—";
    $("next").innerHTML = snap.services.map((s) => '<div class="next-list"><strong>' + esc(s.code) + "</strong> " + esc(s.name) + ": " +
      (s.next.length ? s.next.map((n) => "<span>" + esc(n) + "</span>").join("") : "—") + "</div>").join("");
  }

  async function refresh(flashCounter) {
    const r = await fetch(root.dataset.snapshot, { cache: "no-store" });
    if (r.ok) render(await r.json(), flashCounter);
  }

  function speakNext() {
    if (speaking || !spoken.length) return;
    const call = spoken.shift();
    speaking = true;
    const done = () => { speaking = false; setTimeout(speakNext, 400); };
    if (serverVoice) {
      const audio = new Audio(root.dataset.voice + "?so=" + encodeURIComponent(call.ticket) + "&quay=" + call.counter);
      audio.onended = done; audio.onerror = () => { browserSpeak(call.phrase, done); };
      audio.play().catch(() => browserSpeak(call.phrase, done));
    } else {
      browserSpeak(call.phrase, done);
    }
  }

  function browserSpeak(text, done) {
    if (!window.speechSynthesis) { done(); return; }
    const u = new SpeechSynthesisUtterance(text);
    u.lang = "vi-VN"; u.rate = 0.9;
    const vi = speechSynthesis.getVoices().find((v) => v.lang && v.lang.toLowerCase().startsWith("vi"));
    if (vi) u.voice = vi;
    u.onend = done; u.onerror = done;
    speechSynthesis.speak(u);
  }

  function onCall(ev) {
    const data = JSON.parse(ev.data);
    if (data.phrase) {
      $("callout").textContent = data.phrase;
      if (soundOn) { spoken.push(data); speakNext(); }
    }
    refresh(data.counter);
  }

  $("sound-on").addEventListener("click", () => { soundOn = true; $("sound-on").hidden = true; });
  const es = new EventSource(root.dataset.events);
  es.addEventListener("call", onCall);
  es.addEventListener("update", () => refresh());
  es.addEventListener("ready", () => { $("conn").textContent = ""; refresh(); });
  es.onerror = () => { $("conn").textContent = "Đang kết nối lại…"; };
  root.dataset.live = "1";
})();
