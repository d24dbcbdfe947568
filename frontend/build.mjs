// The partial plotly.js Meridian serves, built by `make setup` from the packages in package.json:
// vendor/plotly/plotly-meridian.min.js (frontend/plotly-meridian.js), bundled with plotly.js's own
// esbuild settings, minified with terser, and precompressed (.br at quality 11, .gz at level 9) so no
// web worker ever compresses it.
import { build } from "esbuild";
import { environmentPlugin } from "esbuild-plugin-environment";
import { glsl } from "esbuild-plugin-glsl";
import InlineCSSPlugin from "esbuild-plugin-inline-css";
import { minify } from "terser";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "vendor", "plotly");
mkdirSync(out, { recursive: true });

const bundled = await build({
  entryPoints: [join(root, "frontend", "plotly-meridian.js")],
  write: false,
  format: "iife",
  globalName: "Plotly",
  bundle: true,
  minify: true,
  legalComments: "none",
  plugins: [InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
  alias: { regl: "@plotly/regl", stream: "stream-browserify" },
  define: { global: "window", "define.amd": "false" },
  target: "es2016",
  logLevel: "warning",
});
const version = JSON.parse(readFileSync(join(root, "node_modules", "plotly.js", "package.json"))).version;
const banner = `/* plotly.js v${version} (MIT, Plotly Inc.), partial bundle: frontend/plotly-meridian.js */\n`;
const { code } = await minify(bundled.outputFiles[0].text, { ecma: 2016, compress: true, mangle: true });
const file = join(out, "plotly-meridian.min.js");
const body = Buffer.from(banner + code);
writeFileSync(file, body);
const br = brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
const gz = gzipSync(body, { level: 9 });
writeFileSync(`${file}.br`, br);
writeFileSync(`${file}.gz`, gz);
console.log(
  `plotly-meridian.min.js: ${(body.length / 1024).toFixed(0)} KiB, ` +
    `${(br.length / 1024).toFixed(0)} KiB brotli, ${(gz.length / 1024).toFixed(0)} KiB gzip`,
);
