// Starts the Python app: reads auth0-config.json, starts the interpreter it names, adds the
// PyScript tag for py/main.py and loads PyScript; runs Lock, and Lockr where the session is kept
// with it (`sessionScripts`). Any failure before Python has decided the session is shown on the
// page (data-session="error") instead of leaving it loading forever.

// One PyScript config (./pyscript.json: which modules to load) serves every interpreter; the
// interpreter module is added here. The build lists each interpreter's files in
// ./vendor/interpreters.json: the tuned ones sit in folders named by their content, so the
// browser keeps them without asking again. `preload` starts the downloads the interpreter would
// only ask for one after another (module -> module -> stdlib); PyScript's start is one classic
// script, vendor/pyscript/core.js, which the page preloads. The wasm is left to the
// interpreter, whose streaming compile keeps V8's code cache working on repeat visits. The
// tuned modules export `prestart()`: the interpreter starts loading at once, while PyScript is
// still loading, and PyScript is handed that same load (scripts/build-site.mjs, "boot.js may
// start...").
const MAIN = "./py/main.py";

// The interpreter auth0-config.json names; undefined for any other name, inherited ones
// ("toString", "__proto__") included.
function interpreterNamed(interpreters, name) {
  const known = typeof name === "string" && Object.hasOwn(interpreters, name);
  return known ? interpreters[name] : undefined;
}

const body = document.body;

// PyScript's start bundled by the build as a classic script (the page preloads it): Chromium
// keeps a classic script's compiled code between visits, never a module's.
const PYSCRIPT = "./vendor/pyscript/core.js";

// Runs the classic script at `src`; resolves once it has run. `inOrder`: after the scripts
// added before it with `inOrder`, each as soon as it and those before it are in.
function runScript(src, inOrder = false) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.async = !inOrder;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`${src} did not load`));
    document.head.append(script);
  });
}

// Runs the preloaded session scripts (Lock from index.html, Lockr from `preloadLockr`), in page
// order; resolves once all have run. Python must not use them before: py/main.py awaits
// `sessionScripts()`. (The interpreter's own script is preloaded too; its module runs it.)
function runPreloadedScripts() {
  const links = document.querySelectorAll('link[rel="preload"][as="script"][data-session-script]');
  return Promise.all([...links].map((link) => runScript(link.href, true)));
}

// The scripts run once, on the first call: from boot.js while a slow interpreter loads, or
// from py/main.py when it needs Lock.
let scriptsRun = null;
function sessionScripts() {
  scriptsRun ??= runPreloadedScripts();
  return scriptsRun;
}
globalThis.sessionScripts = sessionScripts;

// Lockr only for a session kept with it (`"storage": "lockr"`, py/storage.py): any other page
// would fetch and run it for nothing.
const LOCKR = "./vendor/lockr/lockr.js";

function preloadLockr(config) {
  if (config.storage === "lockr") preload([LOCKR], "preload", "script", { sessionScript: "" });
}

function stillLoading() {
  return body.dataset.session === "loading";
}

// What is wrong with the interpreter's binary (a message), or null; checkBinary() sets it.
// fail() asks it first: a broken binary explains a start-up error better than the runtime's own
// message does.
let binaryProblem = () => Promise.resolve(null);
const BINARY_CHECK_MS = 3000; // a check that gets no answer does not hide the error itself

function fail(message) {
  const undecided = new Promise((resolve) => setTimeout(resolve, BINARY_CHECK_MS, null));
  Promise.race([binaryProblem(), undecided]).then((problem) => show(problem ?? message));
}

function show(message) {
  if (!stillLoading()) return;
  const notice = document.getElementById("notice");
  notice.textContent = `The app could not start: ${message}`;
  notice.dataset.level = "error";
  notice.hidden = false;
  body.dataset.session = "error";
}

// Errors PyScript reports itself: a `.py-error` banner (bad config, Python exception), or an
// uncaught error / rejection (an interpreter module that did not load).
function watchForStartupErrors() {
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node instanceof Element && node.classList.contains("py-error")) {
          fail(node.textContent.trim().split("\n").pop());
        }
      }
    }
  }).observe(body, { childList: true, subtree: true });
  addEventListener("error", (event) => fail(event.message || "script error"));
  addEventListener("unhandledrejection", (event) => {
    const reason = event.reason;
    fail((reason && reason.message) || String(reason));
  });
}

// A start-up file that stops arriving (a stalled connection) makes nothing fail: after a while
// the loading line says so instead of spinning in silence. It reads as before once the page
// has decided.
const SLOW_START_MS = 15000;
const SLOW_START_TEXT =
  "Still starting: this is taking longer than usual. The connection may be slow or stalled; " +
  "reloading the page can help.";

function watchForSlowStart() {
  const line = document.querySelector("#loading .loading-text");
  const usual = line.textContent;
  const timer = setTimeout(() => {
    if (stillLoading()) line.textContent = SLOW_START_TEXT;
  }, SLOW_START_MS);
  new MutationObserver((_, observer) => {
    if (stillLoading()) return;
    clearTimeout(timer);
    line.textContent = usual;
    observer.disconnect();
  }).observe(body, { attributes: true, attributeFilter: ["data-session"] });
}

async function readJson(url) {
  let response;
  try {
    response = await fetch(url, { cache: "no-cache" });
  } catch (error) {
    throw new Error(`${url} could not be fetched (${error.message})`);
  }
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  try {
    return await response.json();
  } catch {
    throw new Error(`${url} is not valid JSON`);
  }
}

function preload(urls, rel, as, dataset = {}) {
  for (const href of urls) {
    const link = document.createElement("link");
    link.rel = rel;
    link.href = href;
    if (as) link.as = as;
    Object.assign(link.dataset, dataset);
    // What fetch() asks for, so that the fetch takes the preload (a script tag asks without).
    if (as === "fetch") link.crossOrigin = "anonymous";
    document.head.append(link);
  }
}

// A missing interpreter binary, or one served without `application/wasm`, makes the runtime
// hang without an error: its headers say what is wrong.
async function wasmProblem(url) {
  let response;
  try {
    response = await fetch(url, { method: "HEAD" });
  } catch (error) {
    return `${url} could not be fetched (${error.message})`;
  }
  if (!response.ok) return `${url}: HTTP ${response.status}`;
  const type = response.headers.get("content-type") || "(none)";
  if (type.startsWith("application/wasm")) return null;
  return `${url} is served as ${type}, not application/wasm`;
}

// The page's request for `url` once it has finished (its resource timing entry).
function requestFinished(url) {
  const href = new URL(url, document.baseURI).href;
  return new Promise((resolve) => {
    new PerformanceObserver((list, observer) => {
      const entry = list.getEntries().find((e) => e.name === href);
      if (entry) {
        observer.disconnect();
        resolve(entry);
      }
    }).observe({ type: "resource", buffered: true });
  });
}

// How long a runtime may take to start once its binary has arrived before the binary is checked:
// longer than a start takes on a slow machine, so that a working page never asks.
const BINARY_SUSPECT_MS = 2500;

// Checks the binary when the runtime's request for it failed, or when the runtime has not
// started a while after it arrived. A check made at once held the runtime's own request back
// (one cache entry serves both): warm MicroPython -34 ms without it (bench/README.md).
function checkBinary(url) {
  let verdict = null;
  binaryProblem = () => (verdict ??= wasmProblem(url));
  const report = () => binaryProblem().then((problem) => problem && show(problem));
  requestFinished(url).then((entry) => {
    const status = entry.responseStatus; // 0 or undefined when the browser does not say
    if (status && (status < 200 || status > 299)) report();
    else setTimeout(() => stillLoading() && report(), BINARY_SUSPECT_MS);
  });
}

// Starts the interpreter now if its module can (the stock Pyodide module cannot). Resolves once
// it has started: PyScript must not ask for the interpreter before, or the page would run two
// (MicroPython keeps its state in globals). A module that fails to load is reported when
// PyScript imports it. `options` are what only the early start takes: the URL of the bytecode it
// writes before PyScript starts (fast.mjs: interpreters.json "pycache"; MicroPython's early.mjs:
// "bytecode"), and the memory snapshot fast.mjs may start from ("snapshot").
function prestart(url, options) {
  return import(url).then(
    (module) => void module.prestart?.(options),
    () => {},
  );
}

const isVariable = (key) => /^\{\w+\}$/.test(key);

// A files entry's URL with pyscript.json's variables filled in ("{PY}/app.py" with "{PY}":
// "./py" -> ./py/app.py).
function expandFiles(files, url) {
  const variables = Object.entries(files).filter(([key]) => isVariable(key));
  return variables.reduce((out, [key, value]) => out.replaceAll(key, value), url);
}

// The URLs of the files pyscript.json lists. PyScript fetches them only once the interpreter is
// ready, one step after another.
function pyscriptFiles(pyscriptConfig) {
  const files = pyscriptConfig.files || {};
  return Object.keys(files)
    .filter((key) => !isVariable(key))
    .map((key) => expandFiles(files, key));
}

// pyscript.json without the files whose bytecode the interpreter's early start writes instead
// (interpreters.json "compiled": the app's modules, by page URL, for MicroPython).
function withoutCompiled(pyscriptConfig, compiled = {}) {
  const files = pyscriptConfig.files || {};
  const compiledAway = ([key]) => Object.hasOwn(compiled, expandFiles(files, key));
  const kept = Object.entries(files).filter((entry) => !compiledAway(entry));
  return { ...pyscriptConfig, files: Object.fromEntries(kept) };
}

function earlyOptions(interpreter) {
  const options = {};
  for (const key of ["pycache", "bytecode", "snapshot"]) if (interpreter[key]) options[key] = interpreter[key];
  return options;
}

async function boot() {
  watchForStartupErrors();
  watchForSlowStart();
  const [config, pyscriptJson, interpreters] = await Promise.all([
    readJson("./auth0-config.json"),
    readJson("./pyscript.json"),
    readJson("./vendor/interpreters.json"),
  ]);
  // Handed to py/main.py, which would otherwise fetch it a second time.
  globalThis.sessionAppConfig = JSON.stringify(config);
  const name = config.interpreter || "pyodide";
  const interpreter = interpreterNamed(interpreters, name);
  if (!interpreter) {
    throw new Error(`unknown interpreter "${name}" (use ${Object.keys(interpreters).join(" or ")})`);
  }
  const pyscriptConfig = withoutCompiled(pyscriptJson, interpreter.compiled);
  // The interpreter's module first: its chain (module -> wasm) is the longest, and a browser
  // reads cached files about in the order they were asked for.
  const started = prestart(interpreter.module, earlyOptions(interpreter));
  preload(interpreter.scriptpreload, "preload", "script");
  preload(interpreter.modulepreload, "modulepreload");
  preload(interpreter.fetchpreload, "preload", "fetch");
  preload([...pyscriptFiles(pyscriptConfig), MAIN], "preload", "fetch");
  preloadLockr(config);
  checkBinary(interpreter.wasm);
  // Lock's script holds the main thread for 50-150 ms. An interpreter whose load leaves the
  // main thread idle (Pyodide's wasm compiles off it) runs it meanwhile, once the wasm is on its
  // way; otherwise py/main.py runs it after deciding a visitor without a session.
  if (interpreter.scriptsWhileLoading) {
    started.then(sessionScripts).catch((error) => fail(error.message));
  }
  document.getElementById("runtime").textContent = `PyScript on ${interpreter.label}`;
  const script = document.createElement("script");
  script.type = interpreter.type;
  script.src = MAIN;
  script.setAttribute("config", JSON.stringify({ ...pyscriptConfig, interpreter: interpreter.module }));
  body.append(script);
  await started;
  try {
    await runScript(PYSCRIPT);
    await globalThis.__pyscriptCore; // its start, run as a module's top level would be
  } catch (error) {
    throw new Error(`PyScript did not load (${error.message})`);
  }
}

boot().catch((error) => fail(error.message));
