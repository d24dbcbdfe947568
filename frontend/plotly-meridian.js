/*
 * The partial plotly.js bundle Meridian serves in place of the full one (see frontend/build.mjs):
 * exactly the trace types the pages draw. The core brings scatter, layout, axes, legends,
 * annotations and shapes. A page drawing a type missing here fails a browser test
 * (tests/integration/test_page_weight.py), so add it here first.
 */
"use strict";

var Plotly = require("plotly.js/lib/core");

Plotly.register([
  require("plotly.js/lib/bar"), // allocation by month, histograms, probabilities, risk contributions
  require("plotly.js/lib/pie"), // allocation donuts
  require("plotly.js/lib/heatmap"), // correlations
]);

module.exports = Plotly;
