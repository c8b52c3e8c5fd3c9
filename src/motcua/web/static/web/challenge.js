// Proof-of-work check of the public forms (server side: motcua/core/challenge.py).
// The browser fetches a signed challenge and searches the number n with
// SHA-256(salt + n) == challenge, then fills the hidden "altcha" field: nobody has to see,
// hear or type anything. SHA-256 is computed here (FIPS 180-4) rather than by Web Crypto,
// which browsers only offer on HTTPS pages: an office network may serve plain HTTP.
(function () {
  "use strict";

  var K = [];
  (function () {
    // First 32 bits of the fractional parts of the cube roots of the first 64 primes.
    var n = 2, found = 0;
    while (found < 64) {
      var prime = true;
      for (var d = 2; d * d <= n; d++) if (n % d === 0) { prime = false; break; }
      if (prime) {
        K.push((Math.pow(n, 1 / 3) % 1) * 4294967296 | 0);
        found++;
      }
      n++;
    }
  })();
  var H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  var W = new Int32Array(64);

  function rotr(x, n) { return (x >>> n) | (x << (32 - n)); }

  // SHA-256 of an ASCII string (salts and numbers are ASCII), as lowercase hex.
  function sha256(text) {
    var len = text.length, blocks = ((len + 8) >> 6) + 1, words = new Int32Array(blocks * 16);
    for (var i = 0; i < len; i++) words[i >> 2] |= (text.charCodeAt(i) & 0xff) << (24 - (i % 4) * 8);
    words[len >> 2] |= 0x80 << (24 - (len % 4) * 8);
    words[blocks * 16 - 1] = len * 8;
    var h = H0.slice();
    for (var b = 0; b < blocks; b++) {
      for (var t = 0; t < 64; t++) {
        if (t < 16) { W[t] = words[b * 16 + t]; continue; }
        var x = W[t - 15], y = W[t - 2];
        var s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
        var s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10);
        W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
      }
      var a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
      for (t = 0; t < 64; t++) {
        var S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        var t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[t] + W[t]) | 0;
        var S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        var t2 = (S0 + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
        hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = bb; bb = a; a = (t1 + t2) | 0;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + bb) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
      h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + hh) | 0;
    }
    var out = "";
    for (i = 0; i < 8; i++) out += ("00000000" + (h[i] >>> 0).toString(16)).slice(-8);
    return out;
  }

  // Search in slices so the page stays responsive; resolves with the base64 solution.
  function solve(ch) {
    return new Promise(function (resolve, reject) {
      var n = 0;
      (function step() {
        var stop = Math.min(n + 5000, ch.maxnumber + 1);
        for (; n < stop; n++) {
          if (sha256(ch.salt + n) === ch.challenge) {
            resolve(btoa(JSON.stringify({
              algorithm: ch.algorithm, challenge: ch.challenge, number: n,
              salt: ch.salt, signature: ch.signature,
            })));
            return;
          }
        }
        if (n > ch.maxnumber) reject(new Error("no solution"));
        else setTimeout(step, 0);
      })();
    });
  }

  function expiry(salt) {
    var m = /[?&]expires=(\d+)/.exec(salt);
    return m ? Number(m[1]) * 1000 : Infinity;
  }

  function setup(box) {
    var form = box.closest("form");
    var input = box.querySelector("input[name=altcha]");
    var status = box.querySelector(".challenge-status");
    if (!form || !input) return;
    var pending = null, validUntil = 0, sending = false;

    function fresh() {
      if (!pending) {
        pending = fetch(box.dataset.challengeUrl, { credentials: "same-origin", cache: "no-store" })
          .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
          .then(function (ch) {
            validUntil = expiry(ch.salt) - 60000;
            return solve(ch);
          })
          .then(function (solution) { input.value = solution; return solution; })
          .catch(function (err) { pending = null; throw err; });
      }
      return pending;
    }

    fresh().catch(function () {});  // start at once: usually done before the form is filled
    form.addEventListener("submit", function (event) {
      if (sending) return;
      if (input.value && Date.now() < validUntil) { sending = true; return; }
      event.preventDefault();
      if (Date.now() >= validUntil) { pending = null; input.value = ""; }
      status.textContent = "Đang xác minh chống gửi tự động, vui lòng chờ trong giây lát…";
      fresh().then(function () {
        sending = true;
        status.textContent = "Đã xác minh, đang gửi…";
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      }, function () {
        status.textContent = "Không xác minh được vì mất kết nối tới máy chủ. Vui lòng kiểm tra mạng rồi bấm gửi lại.";
        status.classList.add("error");
      });
    });
  }

  document.querySelectorAll("[data-challenge-url]").forEach(setup);
})();
