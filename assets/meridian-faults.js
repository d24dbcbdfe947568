/*
 * A server fault in a callback (HTTP 5xx from _dash-update-component) is shown in the
 * page's alert with the reference the server logged, instead of only in the console.
 * The alert's id comes from the shell's data-meridian-alert attribute (components/ids.py).
 */
(function () {
  "use strict";
  var original = window.fetch;
  if (!original) { return; }

  function alertId() {
    var holder = document.querySelector("[data-meridian-alert]");
    return holder ? holder.getAttribute("data-meridian-alert") : null;
  }

  function show(message) {
    var id = alertId();
    var api = window.dash_clientside;
    if (id && api && typeof api.set_props === "function") {
      api.set_props(id, { children: message, is_open: true, color: "danger" });
    }
  }

  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    var request = original.apply(this, arguments);
    if (url.indexOf("_dash-update-component") === -1) { return request; }
    return request.then(function (response) {
      if (response.status >= 500) {
        response.clone().json().then(function (body) {
          show((body && body.error) || "Something went wrong on the server; nothing was changed.");
        }, function () {
          show("Something went wrong on the server; nothing was changed.");
        });
      }
      return response;
    });
  };
})();
