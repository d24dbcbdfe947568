/*
 * Meridian's clientside functions, one namespace: window.dash_clientside.meridian, called with
 * dash.clientside_callback(ClientsideFunction("meridian", name), ...). Also the reporter that sends
 * what the analyst feels to the metrics store: Google's web-vitals (assets/01-web-vitals.js) per page,
 * soft navigations included, and the render timings measured by the clientside callbacks of
 * callbacks/telemetry.py, batched and sent every 5 s and when the page is hidden.
 */
(function () {
  "use strict";
  var FLUSH_MS = 5000;
  var MAX_VITALS = 50; // per beacon, as the ingest endpoint accepts
  var MAX_RENDERS = 100;
  var loading = {};
  var pending = {}; // page path -> {vitals: [], renders: []}
  var trigger = { time: 0 }; // when the latest measured input fired (0: the page load itself)
  var pageVisit = { path: location.pathname, start: 0, charted: false };

  function config() {
    // Written into the index by dashboard/delivery.py (lazy scripts, the ingest URL).
    var node = document.getElementById("meridian-config");
    try {
      return node ? JSON.parse(node.textContent) : {};
    } catch (e) {
      return {};
    }
  }
  var settings = config();
  // A portal tile (?embed=1): the page without the navigation chrome, for as long as it is open.
  if (/(?:^|[?&])embed=1(?:&|$)/.test(location.search)) { document.documentElement.classList.add("embed"); }

  function queue(path) {
    if (!pending[path]) { pending[path] = { vitals: [], renders: [] }; }
    return pending[path];
  }

  function send(path, vitals, renders) {
    if (!settings.beacon || !navigator.sendBeacon) { return true; }
    var body = JSON.stringify({ page: path, vitals: vitals, renders: renders });
    return navigator.sendBeacon(settings.beacon, new Blob([body], { type: "application/json" }));
  }

  function flush() {
    Object.keys(pending).forEach(function (path) {
      var batch = pending[path];
      while (batch.vitals.length || batch.renders.length) {
        var vitals = batch.vitals.slice(0, MAX_VITALS);
        var renders = batch.renders.slice(0, MAX_RENDERS);
        if (!send(path, vitals, renders)) { return; } // the browser's beacon queue is full: next time
        batch.vitals = batch.vitals.slice(vitals.length);
        batch.renders = batch.renders.slice(renders.length);
      }
      delete pending[path];
    });
  }

  function recordRender(component, since) {
    var duration = performance.now() - since;
    if (component && duration >= 0) {
      queue(location.pathname).renders.push({ component: component, duration_ms: Math.round(duration * 10) / 10 });
    }
  }

  function afterPaint(fn) {
    // Two animation frames: the frame that paints the change, then the next one.
    requestAnimationFrame(function () { requestAnimationFrame(fn); });
  }

  function chartDrawn(id, since) {
    // A chart is drawn when plotly.js has put its SVG into our graph's element.
    var deadline = performance.now() + 30000;
    (function check() {
      var element = document.getElementById(id);
      if (element && element.querySelector(".main-svg")) {
        afterPaint(function () {
          recordRender(id, since);
          if (!pageVisit.charted && pageVisit.path === location.pathname) {
            pageVisit.charted = true;
            recordRender("first-chart", pageVisit.start);
          }
        });
      } else if (performance.now() < deadline) {
        requestAnimationFrame(check);
      }
    })();
  }

  function reportVital(metric) {
    var url = metric.navigationURL || location.href;
    var path;
    try { path = new URL(url, location.href).pathname; } catch (e) { path = location.pathname; }
    queue(path).vitals.push({
      name: metric.name,
      value: metric.value,
      rating: metric.rating,
      id: metric.id,
      navigation: metric.navigationType,
    });
  }

  if (window.webVitals) {
    var options = { reportSoftNavs: true };
    ["onLCP", "onINP", "onCLS", "onFCP", "onTTFB"].forEach(function (name) {
      if (typeof window.webVitals[name] === "function") { window.webVitals[name](reportVital, options); }
    });
  }
  setInterval(flush, FLUSH_MS);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { flush(); }
  });
  window.addEventListener("pagehide", flush);

  /*
   * Background jobs outlive web workers (their state is in Redis, dashboard/background.py), but Dash's
   * renderer ends a job's poll chain at the first poll that fails: a web worker restarted or replaced
   * behind the load balancer mid-job would leave the progress bar waiting for ever. A poll (a callback
   * request carrying the job's cacheKey: it only reads progress and the result) that fails on the
   * network or with 502/503/504 is sent again, backing off, for up to 30 s.
   */
  var originalFetch = window.fetch;
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    var poll = init && init.method === "POST" && url.indexOf("_dash-update-component") !== -1 &&
      url.indexOf("cacheKey=") !== -1;
    if (!poll) { return originalFetch.apply(this, arguments); }
    var self = this, args = arguments, deadline = Date.now() + 30000, pause = 250;
    function later() {
      return new Promise(function (resolve) { setTimeout(resolve, pause); pause = Math.min(pause * 2, 2000); });
    }
    function attempt() {
      return originalFetch.apply(self, args).then(function (response) {
        var unavailable = response.status === 502 || response.status === 503 || response.status === 504;
        return unavailable && Date.now() < deadline ? later().then(attempt) : response;
      }, function (error) {
        if (Date.now() < deadline) { return later().then(attempt); }
        throw error;
      });
    }
    return attempt();
  };

  /*
   * Statement uploads: the upload control drops a file it refuses (too large, not a CSV) without a
   * word, and choosing the same file again fires nothing. Inside our own box (data-upload-max-bytes),
   * a click clears the file input so the same file is read again, and a chosen or dropped file is
   * checked here first: a refusal is said where the import's result goes, and an earlier result
   * never stays on screen for a new file.
   */
  function megabytes(bytes) { return (bytes / (1024 * 1024)).toFixed(1) + " MB"; }

  function sayUpload(box, color, text) {
    var target = box.getAttribute("data-upload-result");
    if (!target || !window.dash_clientside || !window.dash_clientside.set_props) { return; }
    window.dash_clientside.set_props(target, {
      children: {
        type: "Div",
        namespace: "dash_html_components",
        props: { children: text, className: "alert alert-" + color + " mb-0", role: "alert" }
      }
    });
  }

  function guardUpload(event) {
    var box = event.target && event.target.closest ? event.target.closest("[data-upload-max-bytes]") : null;
    if (!box) { return; }
    if (event.type === "click") {
      var input = box.querySelector("input[type=file]");
      if (input) { input.value = ""; }
      return;
    }
    var files = event.type === "drop" ? (event.dataTransfer || {}).files : event.target.files;
    if (!files || !files.length) { return; }
    var file = files[0];
    var limit = Number(box.getAttribute("data-upload-max-bytes")) || 0;
    if (!/\.csv$/i.test(file.name)) {
      sayUpload(box, "danger", file.name + " is not a CSV file: choose a .csv export (docs/import-format.md).");
    } else if (limit && file.size > limit) {
      sayUpload(box, "danger", file.name + " is " + megabytes(file.size) + ": statements of up to " +
        megabytes(limit) + " can be imported. Split it into smaller files.");
    } else {
      sayUpload(box, "info", "Reading " + file.name + "…");
    }
  }
  ["click", "change", "drop"].forEach(function (type) { document.addEventListener(type, guardUpload, true); });

  /*
   * On a phone a chart keeps its plot's width: a legend beside the plot (a third of a 390 px screen) goes
   * under it, the chart growing by its rows, and a title longer than the width is set smaller or on two
   * lines. The chart's box grows with it (its height is reserved for the figure as the server drew it).
   */
  var PHONE = 576;
  function phoneLayout(spec) {
    if (window.innerWidth >= PHONE) { return spec; }
    var figure = spec.figure, layout = Object.assign({}, figure.layout || {});
    // the chart's own width (its box, within the page's margins), else the window's
    var box = document.getElementById(JSON.stringify({ index: spec.id, type: "chart-box" }));
    var graph = document.getElementById(spec.id);
    var width = (box && box.clientWidth) || (graph && graph.clientWidth) || window.innerWidth;
    var extra = 0;
    var named = (figure.data || []).filter(function (t) { return t.name && t.showlegend !== false; }).length;
    var legend = layout.legend || {};
    var beside = legend.orientation !== "h" && (legend.x === undefined || legend.x >= 1);
    if (named > 1 && layout.showlegend !== false && beside) {
      var rows = Math.ceil(named / 2);
      extra += rows * 20 + 8;
      layout.legend = { orientation: "h", x: 0, xanchor: "left", y: 0, yref: "container", yanchor: "bottom",
        font: { size: 11 } };
      layout.margin = Object.assign({}, layout.margin);
      layout.margin.b = (layout.margin.b === undefined ? 40 : layout.margin.b) + rows * 20 + 8;
      layout.margin.r = Math.min(layout.margin.r === undefined ? 10 : layout.margin.r, 10);
    }
    var title = layout.title && typeof layout.title === "object" ? Object.assign({}, layout.title) : null;
    if (title && title.text && title.text.indexOf("<br>") === -1) {
      var size = (title.font && title.font.size) || 17;
      var room = width - 60;
      if (title.text.length * size * 0.55 > room) {
        size = Math.max(12, Math.floor(room / (title.text.length * 0.55)));
        title.font = Object.assign({}, title.font, { size: size });
        if (title.text.length * size * 0.55 > room) {  // still too long: two lines, split near the middle
          var middle = Math.floor(title.text.length / 2);
          var cut = title.text.lastIndexOf(" ", middle);
          if (cut < 1) { cut = title.text.indexOf(" ", middle); }
          if (cut > 0) {
            title.text = title.text.slice(0, cut) + "<br>" + title.text.slice(cut + 1);
            extra += size + 4;
            layout.margin = Object.assign({}, layout.margin);
            layout.margin.t = (layout.margin.t === undefined ? 80 : layout.margin.t) + size + 4;
          }
        }
        layout.title = title;
      }
    }
    if (!extra && layout.title === (figure.layout || {}).title) { return spec; }
    var style = Object.assign({}, spec.style);
    if (layout.height) {
      layout.height += extra;
      style.height = layout.height + "px";
      if (box) { box.style.height = style.height; }
    }
    return Object.assign({}, spec, { figure: Object.assign({}, figure, { layout: layout }), style: style });
  }

  // Charts drawn wide and shown on a phone (a page graph, or a window narrowed or a phone turned) are laid
  // out again, and back when the window widens: their wide layout is kept by graph id.
  var KEYS = ["legend", "margin", "title", "height"];
  var wideLayouts = {};
  function layoutKeys(layout) {
    var kept = {};
    KEYS.forEach(function (k) { kept[k] = layout[k] === undefined ? null : JSON.parse(JSON.stringify(layout[k])); });
    return kept;
  }
  function graphOf(gd) {
    var graph = gd.closest(".dash-graph") || gd.parentElement;
    return graph && graph.id ? graph : null;
  }
  function fitPhone(gd) {
    var graph = graphOf(gd);
    if (!graph || !gd.layout || gd._meridianPhone) { return; }
    gd._meridianPhone = true;
    var wide = wideLayouts[graph.id] || (wideLayouts[graph.id] = layoutKeys(gd.layout));
    if (wide.mounted) { delete wide.mounted; return; }  // mounted with its phone layout already
    var box = graph.parentElement;
    wide.boxHeight = wide.boxHeight === undefined ? (box ? box.style.height : "") : wide.boxHeight;
    wide.graphHeight = wide.graphHeight === undefined ? graph.style.height : wide.graphHeight;
    var narrow = phoneLayout({ id: graph.id, figure: { data: gd.data, layout: wide }, style: {} });
    if (narrow.figure.layout === wide) { return; }  // nothing to change (drawn for a phone already)
    var update = {};
    KEYS.forEach(function (k) { if (narrow.figure.layout[k] !== null) { update[k] = narrow.figure.layout[k]; } });
    if (narrow.style.height) { graph.style.height = narrow.style.height; }
    window.Plotly.relayout(gd, update);
  }
  function fitWide(gd) {
    var graph = graphOf(gd);
    if (!graph || !gd._meridianPhone) { return; }
    delete gd._meridianPhone;
    var wide = wideLayouts[graph.id];
    if (!wide) { return; }
    if (graph.parentElement && wide.boxHeight !== undefined) { graph.parentElement.style.height = wide.boxHeight; }
    graph.style.height = wide.graphHeight || "";
    var update = {};
    KEYS.forEach(function (k) { if (wide[k] !== null) { update[k] = wide[k]; } });
    window.Plotly.relayout(gd, update);
  }
  function fitCharts() {
    if (!window.Plotly) { return; }
    var phone = window.innerWidth < PHONE;
    document.querySelectorAll(".js-plotly-plot").forEach(function (gd) {
      if (!gd.layout || !gd._fullLayout) { return; }
      if (phone) { fitPhone(gd); } else { fitWide(gd); }
    });
  }
  var resizing = null;
  window.addEventListener("resize", function () { clearTimeout(resizing); resizing = setTimeout(fitCharts, 100); });

  /* Sign-out is a POST with the session's token: the token cookie's value goes in as the form is sent. */
  // Screen readers: a field's message is tied to it (aria-describedby) and a field marked invalid says
  // so (aria-invalid), whichever callback marked it; a run that draws new results is announced in one
  // short live message (the results themselves are too long to be read out whole).
  function tieMessages() {
    document.querySelectorAll(".invalid-feedback[id]").forEach(function (message) {
      var box = message.parentElement;
      var control = box && box.querySelector("input:not([type=checkbox]), select, textarea, fieldset");
      if (!control) { return; }
      if (control.getAttribute("aria-describedby") !== message.id) {
        control.setAttribute("aria-describedby", message.id);
      }
      var checks = control.tagName === "FIELDSET" ? control.querySelectorAll("input") : [control];
      var marked = !!box.querySelector(".is-invalid") && message.textContent.trim() !== "";
      Array.prototype.forEach.call(checks, function (c) {
        if (marked) { c.setAttribute("aria-invalid", "true"); } else { c.removeAttribute("aria-invalid"); }
      });
    });
  }
  var announcer = null;
  function announce(text) {
    if (!announcer) {
      announcer = document.createElement("div");
      announcer.className = "visually-hidden";
      announcer.setAttribute("role", "status");
      announcer.setAttribute("aria-live", "polite");
      document.body.appendChild(announcer);
    }
    announcer.textContent = "";
    setTimeout(function () { announcer.textContent = text; }, 50);
  }
  var tieQueued = false;
  new MutationObserver(function (mutations) {
    var results = mutations.some(function (m) {
      var node = m.target;
      return node.id && /-results$/.test(node.id) && m.type === "childList" && node.children.length > 0;
    });
    if (results) {
      var heading = document.querySelector("main h1");
      announce((heading ? heading.textContent + ": " : "") + "results updated.");
    }
    if (!tieQueued) {
      tieQueued = true;
      requestAnimationFrame(function () {
        tieQueued = false;
        tieMessages();
        if (window.innerWidth < PHONE) { fitCharts(); }  // a chart drawn on a phone
      });
    }
  }).observe(document.documentElement, { childList: true, subtree: true, attributes: true,
    attributeFilter: ["class"] });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.id !== "shell-sign-out-form") { return; }
    var found = document.cookie.split("; ").filter(function (c) { return c.indexOf("_csrf_token=") === 0; })[0];
    var token = form.querySelector("input[name=csrf]");
    if (!token) {
      token = document.createElement("input");
      token.type = "hidden";
      token.name = "csrf";
      form.appendChild(token);
    }
    token.value = found ? decodeURIComponent(found.slice("_csrf_token=".length)) : "";
  }, true);

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.meridian = Object.assign(window.dash_clientside.meridian || {}, {
    /* An input that asks for new results fired: the render timings that follow count from now. */
    markStart: function () {
      var fired = (window.dash_clientside.callback_context || {}).triggered || [];
      var real = fired.filter(function (t) { return t && t.prop_id && t.prop_id !== "."; });
      if (!real.length) { return; } // the page's own initial call: keep the page's start
      var now = performance.now();
      trigger.time = now;
      if (real.some(function (t) { return t.prop_id.indexOf(".pathname") !== -1; }) &&
          pageVisit.path !== location.pathname) {
        pageVisit = { path: location.pathname, start: now, charted: false };
      }
    },

    /* A results panel we own got new content: record the time it took to paint. */
    panelPainted: function () {
      var ctx = window.dash_clientside.callback_context || {};
      var id = ctx.triggered_id;
      var since = trigger.time;
      if (typeof id === "string") { afterPaint(function () { recordRender(id, since); }); }
    },

    /* A graph of the page (the frontier) got a new figure. */
    figurePainted: function () {
      var ctx = window.dash_clientside.callback_context || {};
      if (typeof ctx.triggered_id === "string") { chartDrawn(ctx.triggered_id, trigger.time); }
    },

    /* The client report's Print button: the browser's print of the page (assets/report.css prints the
       report only). */
    print: function (clicks) {
      if (clicks) { window.print(); }
      return "Print the report";
    },

    /*
     * The form's switch (a simulation's return model) changed: each field box is shown when it applies
     * to the new value (its id's "shown" lists the values, "" for always), hidden otherwise
     * (components/forms.py box_class writes the same classes on the server).
     */
    fieldsFor: function (value, boxes) {
      return (boxes || []).map(function (box) {
        var shown = !box.shown || box.shown.split(" ").indexOf(value) >= 0;
        return shown ? "mb-2" : "mb-2 d-none";
      });
    },

    /* A chart's value axis switched between linear and log (the backtest's growth chart): its figure again. */
    axisType: function (log, spec) {
      if (!spec || !spec.figure) { return window.dash_clientside.no_update; }
      var layout = Object.assign({}, spec.figure.layout);
      // on a log axis, ticks at 1, 2 and 5 of each power of ten (every digit would crowd the labels)
      layout.yaxis = Object.assign({}, layout.yaxis, { type: log ? "log" : "linear", dtick: log ? "D2" : null });
      return Object.assign({}, spec, { figure: Object.assign({}, spec.figure, { layout: layout }) });
    },

    /*
     * Mount a chart's graph in its box two animation frames after its figure arrived: the panel
     * around it is painted first, then plotly.js is fetched (once) and the chart drawn (and timed).
     */
    mountChart: function (spec) {
      if (!spec || !spec.figure) { return window.dash_clientside.no_update; }
      if (window.innerWidth < PHONE) {
        wideLayouts[spec.id] = layoutKeys(spec.figure.layout || {});
        wideLayouts[spec.id].mounted = true;
        wideLayouts[spec.id].graphHeight = wideLayouts[spec.id].boxHeight = (spec.style || {}).height || "";
        spec = phoneLayout(spec);
      }
      var since = trigger.time;
      return new Promise(function (resolve) {
        afterPaint(function () {
          resolve({
            type: "Graph",
            namespace: "dash_core_components",
            props: { id: spec.id, figure: spec.figure, config: spec.config, style: spec.style },
          });
          chartDrawn(spec.id, since);
        });
      });
    },

    /* An interval's tick, only while the page is visible: a hidden tab asks the server for nothing. */
    visibleTick: function (n) {
      // not on the page's first call (n is 0): the page opens with its first view already drawn
      return document.hidden || !n ? window.dash_clientside.no_update : n;
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
          var src = (settings.lazy || {})[name];
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
