/*
 * Meridian's clientside functions, one namespace: window.dash_clientside.meridian.
 * Called with dash.clientside_callback(ClientsideFunction("meridian", name), ...).
 */
(function () {
  "use strict";
  var loading = {};

  function lazyScripts() {
    // The index lists, by package, the scripts left out of it (dashboard/delivery.py).
    var node = document.getElementById("meridian-lazy-scripts");
    try {
      return node ? JSON.parse(node.textContent) : {};
    } catch (e) {
      return {};
    }
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.meridian = Object.assign(window.dash_clientside.meridian || {}, {
    /*
     * Mount a chart's graph in its box two animation frames after its figure arrived: the panel
     * around it is painted first, then plotly.js is fetched (once) and the chart drawn.
     */
    mountChart: function (spec) {
      if (!spec || !spec.figure) { return window.dash_clientside.no_update; }
      return new Promise(function (resolve) {
        requestAnimationFrame(function () {
          requestAnimationFrame(function () {
            resolve({
              type: "Graph",
              namespace: "dash_core_components",
              props: { id: spec.id, figure: spec.figure, config: spec.config, style: spec.style },
            });
          });
        });
      });
    },

    /* Open or close a collapsible (the navbar on narrow screens). */
    toggle: function (clicks, isOpen) {
      return clicks ? !isOpen : isOpen;
    },

    /*
     * Load a component library the index left out (e.g. the grid) once; resolves true when it is ready.
     * It starts when the main thread is idle, so it never delays painting what is already on its way.
     */
    loadLibrary: function (_trigger, name) {
      if (!name) { return window.dash_clientside.no_update; }
      if (window[name]) { return true; }
      if (!loading[name]) {
        loading[name] = new Promise(function (resolve, reject) {
          var src = lazyScripts()[name];
          if (!src) { reject(new Error("no script listed for " + name)); return; }
          var start = function () {
            var script = document.createElement("script");
            script.src = src;
            script.async = true;
            script.onload = function () { resolve(true); };
            script.onerror = function () {
              delete loading[name];
              reject(new Error("could not load " + name));
            };
            document.head.appendChild(script);
          };
          if (window.requestIdleCallback) {
            window.requestIdleCallback(start, { timeout: 1500 });
          } else {
            setTimeout(start, 0);
          }
        });
      }
      return loading[name];
    }
  });
})();
