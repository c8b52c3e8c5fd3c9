/* The offices map (/co-quan/) with Leaflet from our static files.
 * Data: <script type="application/json" id="office-map-data"> (portal.selectors.offices_map).
 * The map is a labelled region, never an image role: its markers and zoom buttons are
 * focusable, and the list under it carries every address for people who cannot use a map. */
(function () {
  "use strict";
  var box = document.getElementById("office-map");
  var source = document.getElementById("office-map-data");
  var status = document.getElementById("map-status");
  if (!box || !source || typeof L === "undefined") return;
  var data = JSON.parse(source.textContent);

  var map = L.map(box, { scrollWheelZoom: false, zoomControl: true });
  map.attributionControl.setPrefix(false); // no link out to leafletjs.com
  var zoomIn = box.querySelector(".leaflet-control-zoom-in");
  var zoomOut = box.querySelector(".leaflet-control-zoom-out");
  if (zoomIn) { zoomIn.title = "Phóng to"; zoomIn.setAttribute("aria-label", "Phóng to bản đồ"); }
  if (zoomOut) { zoomOut.title = "Thu nhỏ"; zoomOut.setAttribute("aria-label", "Thu nhỏ bản đồ"); }

  function say(text) { if (status) status.textContent = text; }

  if (data.tiles.url) {
    var loaded = 0, failed = 0;
    var tiles = L.tileLayer(data.tiles.url, {
      maxZoom: data.tiles.maxZoom || 18,
      attribution: data.tiles.attribution || ""
    });
    tiles.on("tileload", function () {
      loaded += 1;
      box.dataset.tiles = "loaded";
    });
    tiles.on("tileerror", function () {
      failed += 1;
      if (!loaded && failed >= 2) {
        box.dataset.tiles = "failed";
        say("Không tải được bản đồ nền từ máy chủ bản đồ (mất kết nối?). Vị trí các bộ phận " +
            "vẫn hiện trên bản đồ; địa chỉ, giờ làm việc và điện thoại ở danh sách dưới đây.");
      }
    });
    tiles.addTo(map);
  }

  var bounds = L.latLngBounds([]);
  if (data.boundaries.features.length) {
    var wards = L.geoJSON(data.boundaries, {
      style: { color: "#0b4a8b", weight: 2, fillColor: "#0b4a8b", fillOpacity: 0.06 },
      interactive: false,
      onEachFeature: function (feature, layer) {
        // The ward's name on its outline (text on the map, read from the list by screen readers).
        layer.bindTooltip(feature.properties.name, { permanent: true, direction: "top", className: "ward-label" });
      }
    }).addTo(map);
    bounds.extend(wards.getBounds());
  }

  data.markers.forEach(function (m) {
    var label = m.n + ". " + m.name + (m.address ? ", " + m.address : "");
    var icon = L.divIcon({
      className: "",
      html: '<span class="office-pin">' + m.n + "</span>",
      iconSize: [30, 30],
      iconAnchor: [15, 15],
      popupAnchor: [0, -14]
    });
    var marker = L.marker([m.lat, m.lng], { icon: icon, title: label, keyboard: true });
    var popup = document.createElement("div");
    var name = document.createElement("strong");
    name.textContent = m.name;
    popup.appendChild(name);
    if (m.address) { popup.appendChild(document.createElement("br")); popup.appendChild(document.createTextNode(m.address)); }
    if (m.phone) { popup.appendChild(document.createElement("br")); popup.appendChild(document.createTextNode("Điện thoại: " + m.phone)); }
    popup.appendChild(document.createElement("br"));
    var link = document.createElement("a");
    link.href = "#" + m.id;
    link.textContent = "Giờ làm việc và chi tiết";
    popup.appendChild(link);
    marker.bindPopup(popup);
    // The icon exists once the map has a view: label it then (and again if Leaflet redraws it).
    marker.on("add", function () {
      var el = marker.getElement();
      if (el) { el.setAttribute("aria-label", label); el.setAttribute("role", "button"); }
    });
    marker.addTo(map);
    bounds.extend([m.lat, m.lng]);
  });

  if (bounds.isValid()) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 16 });
  else map.setView([16.0, 106.0], 5);
  box.dataset.ready = "1";
})();
