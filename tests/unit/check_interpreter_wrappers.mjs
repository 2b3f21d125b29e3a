// Checks the early start the build adds to the interpreter modules, on MicroPython's wrapper
// (early.mjs, named in dist/vendor/interpreters.json; fast.mjs shares the code but loads from
// URLs, which Node cannot): an early start and PyScript's own request share one interpreter whichever comes
// first, and Python's output reaches the handlers PyScript passes.
//   node check_interpreter_wrappers.mjs
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const DIST = path.join(ROOT, "dist");
const interpreters = JSON.parse(fs.readFileSync(path.join(DIST, "vendor", "interpreters.json"), "utf8"));
let instance = 0;

// A fresh module instance of MicroPython's early.mjs each time, as a new page would have.
async function earlyMicroPython() {
  const url = pathToFileURL(path.join(DIST, interpreters.micropython.module)).href;
  return import(`${url}?page=${++instance}`);
}

function output() {
  const lines = [];
  return { lines, write: (text) => lines.push(typeof text === "string" ? text : new TextDecoder().decode(text)) };
}

// PyScript's options for MicroPython: linebuffer off, its handlers, a wasm URL named after the module.
const mpyOptions = (out) => ({ linebuffer: false, stdout: out.write, stderr: out.write, url: "early.wasm" });

{
  // Early start first, PyScript second: one interpreter, PyScript's handlers get the output.
  const mpy = await earlyMicroPython();
  const early = mpy.prestart();
  const out = output();
  const asked = mpy.loadMicroPython(mpyOptions(out));
  assert.equal(asked, early);
  (await asked).runPython("print('from early start')");
  assert.match(out.lines.join(""), /from early start/);
}
{
  // PyScript first (the early start lost the race): the early start reuses PyScript's load.
  const mpy = await earlyMicroPython();
  const out = output();
  const asked = mpy.loadMicroPython(mpyOptions(out));
  assert.equal(mpy.prestart(), asked);
  (await asked).runPython("print('asked first')");
  assert.match(out.lines.join(""), /asked first/);
}
{
  // Options the early load does not satisfy get a load of their own.
  const mpy = await earlyMicroPython();
  const early = mpy.prestart();
  const out = output();
  const other = mpy.loadMicroPython({ ...mpyOptions(out), linebuffer: true });
  assert.notEqual(other, early);
  await Promise.all([early, other]);
}
console.log("wrappers-ok");
