#!/usr/bin/env node
// Builds dist/ as the complete static site (docs/design.md, "Site layout"):
//   dist/                 web/*
//   dist/py/              py/**/*.py
//   dist/vendor/          pinned npm assets, Lock bundled by esbuild
//
// Every output is computed in memory first, then synced into dist/: unchanged files are left
// untouched (same bytes, same mtime), changed ones are replaced atomically, stale ones removed.
// Running it twice gives the same tree. A missing input stops the build with a non-zero exit.

import { createRequire } from "node:module";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const NM = path.join(ROOT, "node_modules");
const DIST = path.join(ROOT, "dist");
const require = createRequire(import.meta.url);

class BuildError extends Error {}

function fail(message) {
  throw new BuildError(message);
}

function readInput(file) {
  if (!fs.existsSync(file)) fail(`missing input: ${path.relative(ROOT, file)}`);
  return fs.readFileSync(file);
}

function packageDir(name) {
  const dir = path.join(NM, name);
  if (!fs.existsSync(path.join(dir, "package.json"))) {
    fail(`missing package ${name} in node_modules (run npm ci)`);
  }
  return dir;
}

function packageVersion(name) {
  return JSON.parse(readInput(path.join(packageDir(name), "package.json"))).version;
}

function pinnedVersion(name) {
  const pkg = JSON.parse(readInput(path.join(ROOT, "package.json")));
  return { ...pkg.dependencies, ...pkg.devDependencies }[name];
}

// Refuse to build from an installed tree that disagrees with the pins.
function checkPin(name) {
  const installed = packageVersion(name);
  const pinned = pinnedVersion(name);
  if (installed !== pinned) {
    fail(`${name}: node_modules has ${installed}, package.json pins ${pinned} (run npm ci)`);
  }
  return installed;
}

// ---------------------------------------------------------------------------------------------
// Output set: site path (posix, relative to dist/) -> Buffer

const out = new Map();

function emit(sitePath, data) {
  if (out.has(sitePath)) fail(`two outputs for ${sitePath}`);
  out.set(sitePath, Buffer.isBuffer(data) ? data : Buffer.from(data));
}

function listFiles(dir, keep = () => true) {
  const found = [];
  const walk = (sub) => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name === "__pycache__" || entry.name.startsWith(".")) continue;
        walk(rel);
      } else if (entry.isFile() && keep(rel)) {
        found.push(rel);
      }
    }
  };
  walk("");
  return found.sort();
}

// ---------------------------------------------------------------------------------------------
// vendor/pyscript: @pyscript/core's run-time files (every .js/.css; chunks are loaded on demand,
// so the editor/terminal ones cost nothing unless a page uses them)

function vendorPyscript() {
  checkPin("@pyscript/core");
  const dist = path.join(packageDir("@pyscript/core"), "dist");
  const files = listFiles(dist, (f) => /\.(js|css)$/.test(f));
  for (const required of ["core.js", "core.css"]) {
    if (!files.includes(required)) fail(`missing input: @pyscript/core/dist/${required}`);
  }
  for (const f of files) emit(`vendor/pyscript/${f}`, readInput(path.join(dist, f)));
}

// vendor/pyodide: the stock runtime

const PYODIDE_FILES = [
  "pyodide.mjs",
  "pyodide.asm.mjs",
  "pyodide.asm.wasm",
  "python_stdlib.zip",
  "pyodide-lock.json",
];

function vendorPyodide() {
  checkPin("pyodide");
  const dir = packageDir("pyodide");
  for (const f of PYODIDE_FILES) emit(`vendor/pyodide/${f}`, readInput(path.join(dir, f)));
}

// vendor/micropython

function vendorMicropython() {
  const name = "@micropython/micropython-webassembly-pyscript";
  checkPin(name);
  const dir = packageDir(name);
  for (const f of ["micropython.mjs", "micropython.wasm"]) {
    emit(`vendor/micropython/${f}`, readInput(path.join(dir, f)));
  }
}

// vendor/lock: Lock bundled for the browser, its English dictionary, a local logo

async function vendorLock() {
  const version = checkPin("auth0-lock");
  const dir = packageDir("auth0-lock");
  readInput(path.join(dir, "lib", "index.js"));

  // lib/index.js is CommonJS with exports.default = Auth0Lock (and a named Auth0Lock).
  const entry = [
    'var lock = require("auth0-lock");',
    "var Auth0Lock = lock.default || lock.Auth0Lock || lock;",
    'if (typeof Auth0Lock !== "function") throw new Error("auth0-lock: no constructor export");',
    "window.Auth0Lock = Auth0Lock;",
    "",
  ].join("\n");
  const result = await esbuild.build({
    stdin: { contents: entry, resolveDir: ROOT, sourcefile: "lock-entry.js", loader: "js" },
    bundle: true,
    format: "iife",
    platform: "browser",
    mainFields: ["browser", "module", "main"],
    define: { "process.env.NODE_ENV": '"production"', global: "window" },
    minify: true,
    legalComments: "eof",
    charset: "utf8",
    write: false,
    logLevel: "warning",
  });
  if (result.errors.length) fail(`esbuild failed for auth0-lock: ${result.errors[0].text}`);
  emit("vendor/lock/lock.js", result.outputFiles[0].contents);

  // Lock loads `${languageBaseUrl}/js/lock/${version}/${language}.js` even for English.
  const enFile = path.join(dir, "lib", "i18n", "en.js");
  readInput(enFile);
  const en = require(enFile).default;
  if (!en || typeof en !== "object") fail("auth0-lock/lib/i18n/en.js: no default export");
  emit(
    `vendor/lock/js/lock/${version}/en.js`,
    `Auth0.registerLanguageDictionary("en", ${JSON.stringify(en)});\n`,
  );

  emit("vendor/lock/logo.svg", LOGO_SVG);
}

// A neutral mark: a rounded square with a keyhole. Ours, no external references.
const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="58" height="58" viewBox="0 0 58 58">
<rect x="3" y="3" width="52" height="52" rx="12" fill="#2f4858"/>
<circle cx="29" cy="24" r="8" fill="#f4f1de"/>
<path d="M25 29h8l3 16H22z" fill="#f4f1de"/>
</svg>
`;

// vendor/lockr

function vendorLockr() {
  checkPin("lockr");
  emit("vendor/lockr/lockr.js", readInput(path.join(packageDir("lockr"), "lockr.js")));
}

// The site itself: web/* at the root, py/**/*.py under py/ (owned by other parts; copy what
// is there).

function siteFiles() {
  const web = path.join(ROOT, "web");
  const py = path.join(ROOT, "py");
  if (!fs.existsSync(web)) fail("missing input: web/");
  if (!fs.existsSync(py)) fail("missing input: py/");
  for (const f of listFiles(web)) {
    if (f === "vendor" || f.startsWith("vendor/") || f === "py" || f.startsWith("py/")) {
      fail(`web/${f} collides with a generated path`);
    }
    emit(f, readInput(path.join(web, f)));
  }
  for (const f of listFiles(py, (name) => name.endsWith(".py"))) {
    emit(`py/${f}`, readInput(path.join(py, f)));
  }
}

// ---------------------------------------------------------------------------------------------
// Sync the output set into dist/

function sha256(buf) {
  return createHash("sha256").update(buf).digest("hex");
}

function syncDist() {
  fs.mkdirSync(DIST, { recursive: true });
  const stats = { written: 0, unchanged: 0, removed: 0 };
  for (const [rel, data] of [...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const target = path.join(DIST, ...rel.split("/"));
    if (fs.existsSync(target) && fs.statSync(target).isFile()) {
      const current = fs.readFileSync(target);
      if (current.equals(data)) {
        stats.unchanged++;
        continue;
      }
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, target);
    stats.written++;
  }
  // Remove what the build no longer produces (including empty folders).
  const prune = (dir, rel) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      const child = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        prune(child, childRel);
        if (fs.readdirSync(child).length === 0) fs.rmdirSync(child);
      } else if (!out.has(childRel)) {
        fs.rmSync(child);
        stats.removed++;
      }
    }
  };
  prune(DIST, "");
  return stats;
}

function human(n) {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} kB`;
  return `${n} B`;
}

function report(stats) {
  const groups = new Map();
  for (const [rel, data] of out) {
    const parts = rel.split("/");
    const group = parts[0] === "vendor" ? `vendor/${parts[1]}` : parts.length > 1 ? parts[0] : ".";
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push([rel, data.length]);
  }
  for (const group of [...groups.keys()].sort()) {
    const files = groups.get(group).sort(([a], [b]) => (a < b ? -1 : 1));
    const total = files.reduce((s, [, n]) => s + n, 0);
    console.log(`dist/${group === "." ? "" : `${group}/`}  ${files.length} files, ${human(total)}`);
    for (const [rel, n] of files) {
      if (group === "vendor/pyscript" && n < 100_000 && !rel.endsWith("/core.js")) continue;
      console.log(`  ${rel.padEnd(48)} ${human(n).padStart(10)}`);
    }
  }
  const total = [...out.values()].reduce((s, d) => s + d.length, 0);
  console.log(
    `dist/: ${out.size} files, ${human(total)} ` +
      `(${stats.written} written, ${stats.unchanged} unchanged, ${stats.removed} removed)`,
  );
}

async function main() {
  const started = Date.now();
  vendorPyscript();
  vendorPyodide();
  vendorMicropython();
  await vendorLock();
  vendorLockr();
  siteFiles();
  const stats = syncDist();
  report(stats);
  console.log(`build-site: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err) => {
  console.error(`build-site: FAILED: ${err instanceof BuildError ? err.message : err.stack || err}`);
  process.exit(1);
});
