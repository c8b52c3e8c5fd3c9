// Service worker of the home-service officer's phone page (served at /can-bo/tai-nha/sw.js, so
// its scope is /can-bo/tai-nha/). It keeps the last copy of today's page and of the files that
// page uses, so that the page opens again without signal (a reload in a village lane, the
// browser reopened). Pages are fetched from the network first and the copy refreshed; files
// (hashed names under /static/) are served from the copy first. The actions themselves wait in
// the page's own outbox (homevisit.js), never here: nothing is sent or replayed by this worker.
"use strict";
var CACHE = "motcua-tai-nha-v1";
var PAGE = "/can-bo/tai-nha/hom-nay/";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("motcua-tai-nha-") === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

// The page sends the list of what it was built from (its own address, scripts, styles): kept
// at once, so the first visit is enough (the page was loaded before this worker controlled it).
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "keep" || !Array.isArray(data.urls)) return;
  var urls = data.urls.filter(function (u) {
    try { var url = new URL(u, self.location.origin); return url.origin === self.location.origin; } catch (e) { return false; }
  });
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(urls.map(function (u) {
      return fetch(u, { credentials: "same-origin" }).then(function (r) {
        if (r.ok && !r.redirected) return cache.put(u, r);
      }).catch(function () { /* offline: keep what we had */ });
    }));
  }).then(function () {
    if (event.source) event.source.postMessage({ type: "kept", count: urls.length });
  }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;  // actions go to the network (and the page's outbox)
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(PAGE, copy); });
      } else {
        // Logged out (sent to the login page) or no longer allowed: the kept copy holds
        // citizens' names, addresses and phones, so it goes at once.
        caches.open(CACHE).then(function (cache) { cache.delete(PAGE); });
      }
      return response;
    }).catch(function () {
      return caches.match(PAGE).then(function (hit) { return hit || Response.error(); });
    }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      });
    }));
  }
});
