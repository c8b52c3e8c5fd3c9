// The home-service officer's phone page (/can-bo/tai-nha/hom-nay/).
// Every action is first written to an outbox on the phone (IndexedDB, or localStorage when
// IndexedDB is unavailable) with a key made here, then sent to
// POST /api/v1/home-visits/{code}/actions. Without signal the action waits; when the
// connection returns it is sent again with the same key, so the server never does it twice.
(function () {
  "use strict";
  var root = document.getElementById("home-today");
  if (!root) return;
  var API = root.dataset.api;
  var STORE = "outbox";
  var LS_KEY = "motcua.homevisit.outbox." + (root.dataset.user || "");
  var netEl = document.getElementById("net-status");
  var queueEl = document.getElementById("queue-status");
  var sending = false;

  function newKey() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // ---- outbox: IndexedDB with a localStorage fallback
  var dbPromise = new Promise(function (resolve) {
    if (!window.indexedDB) return resolve(null);
    var req;
    try { req = indexedDB.open("motcua-homevisit", 1); } catch (e) { return resolve(null); }
    req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "key" }); };
    req.onsuccess = function () { resolve(req.result); };
    req.onerror = function () { resolve(null); };
  });

  function lsRead() { try { return JSON.parse(localStorage.getItem(LS_KEY) || "[]"); } catch (e) { return []; } }
  function lsWrite(items) { localStorage.setItem(LS_KEY, JSON.stringify(items)); }

  function outboxAll() {
    return dbPromise.then(function (db) {
      if (!db) return lsRead();
      return new Promise(function (resolve, reject) {
        var req = db.transaction(STORE, "readonly").objectStore(STORE).getAll();
        req.onsuccess = function () { resolve(req.result.sort(function (a, b) { return a.at - b.at; })); };
        req.onerror = function () { reject(req.error); };
      });
    });
  }
  function outboxPut(item) {
    return dbPromise.then(function (db) {
      if (!db) { var all = lsRead(); all.push(item); lsWrite(all); return; }
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, "readwrite");
        tx.objectStore(STORE).put(item);
        tx.oncomplete = function () { resolve(); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  function outboxDelete(key) {
    return dbPromise.then(function (db) {
      if (!db) { lsWrite(lsRead().filter(function (i) { return i.key !== key; })); return; }
      return new Promise(function (resolve) {
        var tx = db.transaction(STORE, "readwrite");
        tx.objectStore(STORE).delete(key);
        tx.oncomplete = function () { resolve(); };
        tx.onerror = function () { resolve(); };
      });
    });
  }

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }

  function card(code) { return root.querySelector('.visit-card[data-code="' + code + '"]'); }

  function showAnswer(code, answer) {
    var el = card(code);
    if (!el) return;
    el.querySelector(".visit-status").textContent = answer.status_label || answer.status;
    if (answer.dossier) {
      var line = el.querySelector(".dossier-line");
      line.hidden = false;
      line.querySelector(".dossier-code").textContent = answer.dossier;
    }
  }

  function refreshQueue() {
    return outboxAll().then(function (items) {
      queueEl.textContent = items.length
        ? "Còn " + items.length + " thao tác đã lưu trên máy, sẽ tự gửi khi có mạng."
        : "Mọi thao tác đã được gửi.";
      root.dataset.pending = String(items.length);
    });
  }

  function setNet() {
    netEl.textContent = navigator.onLine ? "Đang có mạng." : "Mất mạng: thao tác được lưu trên máy.";
    netEl.className = navigator.onLine ? "net online" : "net offline";
  }

  function flush() {
    if (sending || !navigator.onLine) return Promise.resolve();
    sending = true;
    return outboxAll().then(function (items) {
      var chain = Promise.resolve(true);
      items.forEach(function (item) {
        chain = chain.then(function (go) {
          if (!go) return false;
          return fetch(API + encodeURIComponent(item.code) + "/actions", {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
            body: JSON.stringify(item.body)
          }).then(function (r) {
            return r.json().catch(function () { return {}; }).then(function (data) {
              if (r.ok) { showAnswer(item.code, data); return outboxDelete(item.key).then(function () { return true; }); }
              if (r.status >= 500 || r.status === 401 || r.status === 403 && data.code === "unauthorized") return false;
              // Refused for good (wrong state, invalid data): drop it and say why.
              var el = card(item.code);
              if (el) {
                var p = document.createElement("p");
                p.className = "error"; p.setAttribute("role", "alert");
                p.textContent = data.message || "Thao tác không thực hiện được.";
                el.appendChild(p);
              }
              return outboxDelete(item.key).then(function () { return true; });
            });
          }, function () { return false; }); // no network: keep it for later
        });
      });
      return chain;
    }).then(function () { sending = false; return refreshQueue(); }, function () { sending = false; });
  }

  function enqueue(code, body) {
    body.key = newKey();
    var item = { key: body.key, code: code, body: body, at: Date.now() };
    return outboxPut(item).then(refreshQueue).then(flush);
  }

  function readFiles(input) {
    var files = Array.prototype.slice.call((input && input.files) || []);
    return Promise.all(files.map(function (f) {
      return new Promise(function (resolve, reject) {
        var fr = new FileReader();
        fr.onload = function () { resolve({ data: fr.result }); };
        fr.onerror = function () { reject(fr.error); };
        fr.readAsDataURL(f);
      });
    }));
  }

  function position() {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) return resolve(null);
      navigator.geolocation.getCurrentPosition(
        function (p) { resolve({ lat: p.coords.latitude, lon: p.coords.longitude }); },
        function () { resolve(null); }, { timeout: 5000 });
    });
  }

  // ---- signature pads
  Array.prototype.forEach.call(root.querySelectorAll("canvas.signature"), function (canvas) {
    var ctx = canvas.getContext("2d");
    var drawing = false;
    canvas.dataset.signed = "";
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#000";
    function at(e) {
      var r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
    }
    canvas.addEventListener("pointerdown", function (e) {
      drawing = true; var p = at(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]);
      if (canvas.setPointerCapture) { try { canvas.setPointerCapture(e.pointerId); } catch (err) { /* synthetic */ } }
      e.preventDefault();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) return; var p = at(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); canvas.dataset.signed = "1";
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (t) { canvas.addEventListener(t, function () { drawing = false; }); });
    var clear = canvas.parentNode.querySelector(".sig-clear");
    if (clear) clear.addEventListener("click", function () { ctx.clearRect(0, 0, canvas.width, canvas.height); canvas.dataset.signed = ""; });
  });

  // ---- actions
  root.addEventListener("click", function (e) {
    var btn = e.target.closest("button[data-action]");
    if (!btn) return;
    var code = btn.closest(".visit-card").dataset.code;
    enqueue(code, { action: btn.dataset.action });
  });

  root.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.dataset.action) return;
    e.preventDefault();
    var code = form.closest(".visit-card").dataset.code;
    var action = form.dataset.action;
    var body = { action: action };
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    var steps = Promise.resolve();
    if (action === "receive") {
      body.papers = Array.prototype.map.call(form.querySelectorAll("input[name=papers]:checked"), function (i) { return parseInt(i.value, 10); });
      body.notes = form.querySelector("[name=notes]").value;
      var how = form.querySelector("[name=delivery_method]");
      if (how) body.delivery_method = how.value;
      var canvas = form.querySelector("canvas.signature");
      if (canvas && canvas.dataset.signed) body.signature = canvas.toDataURL("image/png");
      steps = readFiles(form.querySelector("input[name=photos]")).then(function (photos) { body.photos = photos; });
      if (form.querySelector("[name=record_location]").checked) {
        steps = steps.then(position).then(function (loc) { if (loc) { body.location = loc; body.record_location = true; } });
      }
    } else if (action === "appraise") {
      body.checklist = {};
      Array.prototype.forEach.call(form.querySelectorAll("input[name=checklist]"), function (i) { body.checklist[i.value] = i.checked; });
      body.notes = form.querySelector("[name=notes]").value;
      steps = readFiles(form.querySelector("input[name=photos]")).then(function (photos) { body.photos = photos; });
    } else if (action === "reschedule") {
      body.date = form.querySelector("[name=date]").value;
      body.half_day = form.querySelector("[name=half_day]").value;
    }
    steps.then(function () { return enqueue(code, body); }).then(function () {
      var details = form.closest("details");
      if (details) details.open = false;
    });
  });

  // ---- the page opens again without signal: a service worker keeps its last copy (sw.js)
  function keepOffline() {
    var sw = root.dataset.sw;
    if (!sw || !("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register(sw, { scope: root.dataset.swScope }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      var urls = [location.pathname];
      Array.prototype.forEach.call(document.querySelectorAll("script[src], link[rel=stylesheet][href]"), function (el) {
        urls.push(el.getAttribute("src") || el.getAttribute("href"));
      });
      navigator.serviceWorker.addEventListener("message", function (e) {
        if (e.data && e.data.type === "kept") root.dataset.offlineReady = "1";
      });
      if (reg.active) reg.active.postMessage({ type: "keep", urls: urls });
    }).catch(function () { /* no service worker: the open page still keeps its outbox */ });
  }
  if (!navigator.onLine) {
    var saved = document.getElementById("saved-copy");
    if (saved) saved.hidden = false;
  }
  keepOffline();

  window.addEventListener("online", function () { setNet(); flush(); });
  window.addEventListener("offline", setNet);
  setNet();
  refreshQueue().then(flush);
  setInterval(function () { setNet(); flush(); }, 5000);
})();
