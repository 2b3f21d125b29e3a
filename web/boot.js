// Starts the Python app: reads auth0-config.json, picks the interpreter it names, adds the
// PyScript tag for py/main.py and loads PyScript. Any failure before Python has decided the
// session is shown on the page (data-session="error") instead of leaving it loading forever.

const INTERPRETERS = {
  pyodide: {
    type: "py",
    config: "./pyscript.json",
    wasm: "./vendor/pyodide/pyodide.asm.wasm",
    label: "Pyodide",
  },
  micropython: {
    type: "mpy",
    config: "./mpy.json",
    wasm: "./vendor/micropython/micropython.wasm",
    label: "MicroPython",
  },
};

const body = document.body;

function stillLoading() {
  return body.dataset.session === "loading";
}

function fail(message) {
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

async function readConfig() {
  let response;
  try {
    response = await fetch("./auth0-config.json", { cache: "no-cache" });
  } catch (error) {
    throw new Error(`auth0-config.json could not be fetched (${error.message})`);
  }
  if (!response.ok) throw new Error(`auth0-config.json: HTTP ${response.status}`);
  try {
    return await response.json();
  } catch {
    throw new Error("auth0-config.json is not valid JSON");
  }
}

// A missing interpreter binary, or one served without `application/wasm`, makes the runtime
// hang without an error: ask for its headers alongside the real download.
async function checkWasm(url) {
  const response = await fetch(url, { method: "HEAD" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const type = response.headers.get("content-type") || "(none)";
  if (!type.startsWith("application/wasm")) {
    throw new Error(`${url} is served as ${type}, not application/wasm`);
  }
}

async function boot() {
  watchForStartupErrors();
  const config = await readConfig();
  const name = config.interpreter || "pyodide";
  const interpreter = INTERPRETERS[name];
  if (!interpreter) {
    throw new Error(`unknown interpreter "${name}" (use ${Object.keys(INTERPRETERS).join(" or ")})`);
  }
  checkWasm(interpreter.wasm).catch((error) => fail(error.message));
  document.getElementById("runtime").textContent = `PyScript on ${interpreter.label}`;
  const script = document.createElement("script");
  script.type = interpreter.type;
  script.src = "./py/main.py";
  script.setAttribute("config", interpreter.config);
  body.append(script);
  try {
    await import("./vendor/pyscript/core.js");
  } catch (error) {
    throw new Error(`PyScript did not load (${error.message})`);
  }
}

boot().catch((error) => fail(error.message));
