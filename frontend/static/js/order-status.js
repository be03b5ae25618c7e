// Keeps an order's status current without a reload: asks /orders/<id>/status every two
// seconds until the order reaches a status after which nothing changes. Without this
// script the page still shows the status as it was when served.
(function () {
  "use strict";
  var INTERVAL_MS = 2000;
  var FINAL = ["SHIPPED", "PAYMENT_FAILED", "REFUNDED"];
  var status = document.getElementById("order-status");
  if (!status || !window.fetch || status.getAttribute("data-final") === "true") { return; }
  var url = status.getAttribute("data-status-url");
  var tracking = document.getElementById("tracking");
  var trackingId = document.getElementById("tracking-id");

  function show(order) {
    if (status.textContent !== order.statusText) { status.textContent = order.statusText; }
    status.className = "status status-" + String(order.status).toLowerCase();
    if (order.trackingId) {
      trackingId.textContent = order.trackingId;
      tracking.hidden = false;
    }
  }

  function isFinal(order) {
    return order.final === true || (order.final === undefined && FINAL.indexOf(order.status) !== -1);
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 404) { return null; }  // gone: stop asking
        if (!response.ok) { return {}; }              // away for now: ask again later
        return response.json();
      })
      .then(function (order) {
        if (order === null) { return; }
        if (order.status) { show(order); }
        if (!order.status || !isFinal(order)) { setTimeout(poll, INTERVAL_MS); }
      })
      .catch(function () { setTimeout(poll, INTERVAL_MS); });
  }

  setTimeout(poll, INTERVAL_MS);
})();
