// Runs a Python file under MicroPython's WebAssembly build (the interpreter of PyScript's
// `type="mpy"`), with py/ importable:  node run_micropython.mjs FILE.py
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const MPY = path.join(ROOT, "node_modules/@micropython/micropython-webassembly-pyscript/micropython.mjs");
const { loadMicroPython } = await import(MPY);

const out = [];
const mp = await loadMicroPython({ stdout: (line) => out.push(line), stderr: (line) => out.push(line) });
mp.FS.mkdir("/app");
for (const name of fs.readdirSync(path.join(ROOT, "py"))) {
  if (name.endsWith(".py")) mp.FS.writeFile(`/app/${name}`, fs.readFileSync(path.join(ROOT, "py", name)));
}
let status = 0;
try {
  mp.runPython("import sys\nsys.path.insert(0, '/app')");
  mp.runPython(fs.readFileSync(process.argv[2], "utf8"));
} catch (error) {
  out.push(String(error.message || error));
  status = 1;
}
console.log(out.join("\n"));
process.exit(status);
