"""The vendored assets `npm run build` writes to dist/vendor/, as a browser uses them.

Each browser test serves a small page of its own at the app origin (through `page.route`, with
the site's CSP) that loads only vendor files, so an asset problem shows here and not as a hung
app page.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pages import serve_page

import serve

# Vendor files and interpreter modules alone, not the app's Python.
pytestmark = pytest.mark.interpreter_agnostic

VENDOR = serve.VENDOR_DIR
MANIFEST = VENDOR / "manifest.json"


def manifest() -> dict[str, Any]:
    return json.loads(MANIFEST.read_text())


def test_manifest_lists_every_vendor_file_with_its_hash() -> None:
    listed = manifest()["files"]
    on_disk = {
        p.relative_to(VENDOR).as_posix()
        for p in VENDOR.rglob("*")
        if p.is_file() and p.suffix not in (".zst", ".br", ".gz") and p != MANIFEST
    }
    assert set(listed) == on_disk
    for name, entry in listed.items():
        data = (VENDOR / name).read_bytes()
        assert entry["size"] == len(data), name
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), name


def test_gzip_and_brotli_siblings_hold_the_same_bytes() -> None:
    files = manifest()["files"]
    gzipped = {n: e for n, e in files.items() if "gzip" in e.get("encodings", {})}
    brotli = {n: e for n, e in files.items() if "br" in e.get("encodings", {})}
    assert gzipped and brotli
    for name, entry in gzipped.items():
        packed = (VENDOR / f"{name}.gz").read_bytes()
        assert len(packed) == entry["encodings"]["gzip"], name
        assert gzip.decompress(packed) == (VENDOR / name).read_bytes(), name
    for name, entry in brotli.items():
        assert (VENDOR / f"{name}.br").stat().st_size == entry["encodings"]["br"], name
    assert brotli_sha256([VENDOR / f"{name}.br" for name in brotli]) == [
        entry["sha256"] for entry in brotli.values()
    ]


# Python's stdlib has no brotli decoder; Node's zlib has one.
BROTLI_SHA256_JS = """
const { createHash } = require("crypto"), { readFileSync } = require("fs");
const { brotliDecompressSync } = require("zlib");
for (const file of process.argv.slice(1)) {
  console.log(createHash("sha256").update(brotliDecompressSync(readFileSync(file))).digest("hex"));
}
"""


def brotli_sha256(paths: list[Path]) -> list[str]:
    """The sha256 of each file's brotli-decoded bytes."""
    done = subprocess.run(
        ["node", "-e", BROTLI_SHA256_JS, *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def test_zstd_siblings_decode_in_chromium_to_the_same_bytes(
    stack: Any, site_config: dict, page: Any
) -> None:
    """Chromium takes the zstd siblings (window and all) and gets each file's bytes back."""
    files = {n: e for n, e in manifest()["files"].items() if "zstd" in e.get("encodings", {})}
    assert "lock/lock.js" in files and any(n.endswith("/pyodide.asm.wasm") for n in files)
    for name, entry in files.items():
        assert (VENDOR / f"{name}.zst").stat().st_size == entry["encodings"]["zstd"], name
    packed = {name: entry["sha256"] for name, entry in files.items()}
    url = stack.app_url + "/_assets_zstd.html"
    serve_page(page, url, "", site_config)
    page.goto(url)
    got = page.evaluate(
        """async (names) => {
          const out = {};
          for (const name of names) {
            const response = await fetch(`/vendor/${name}`, { cache: "no-store" });
            const digest = await crypto.subtle.digest("SHA-256", await response.arrayBuffer());
            const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0"));
            out[name] = [response.headers.get("content-encoding"), hex.join("")];
          }
          return out;
        }""",
        sorted(packed),
    )
    assert got == {name: ["zstd", digest] for name, digest in packed.items()}


def test_lock_bundle_sets_window_auth0lock(stack: Any, site_config: dict, page: Any) -> None:
    url = stack.app_url + "/_assets_lock.html"
    serve_page(
        page,
        url,
        '<script src="./vendor/lock/lock.js"></script>'
        '<script src="./vendor/lockr/lockr.js"></script>',
        site_config,
    )
    page.goto(url)
    assert page.evaluate("typeof window.Auth0Lock") == "function"
    assert page.evaluate("typeof window.Lockr.get") == "function"


def test_lock_english_dictionary_registers_itself(stack: Any, site_config: dict, page: Any) -> None:
    version = manifest()["packages"]["auth0-lock"]
    url = stack.app_url + "/_assets_en.html"
    serve_page(page, url, "", site_config)
    page.goto(url)
    page.evaluate("window.Auth0 = {registerLanguageDictionary: (...args) => { window.got = args }}")
    page.add_script_tag(url=f"/vendor/lock/js/lock/{version}/en.js")
    lang, title = page.evaluate("[window.got[0], window.got[1].title]")
    assert (lang, title) == ("en", "Auth0")


def run_python(
    page: Any, stack: Any, site_config: dict, interpreter: str, code: str
) -> dict[str, Any]:
    """Run `code` on a bare PyScript page with `interpreter` (a name in interpreters.json); the
    code puts a JSON answer into `out`, returned here."""
    url = stack.app_url + "/_assets_python.html"
    module = serve.built_interpreters()[interpreter]["module"]
    config = json.dumps({"interpreter": module}).replace('"', "&quot;")
    serve_page(
        page,
        url,
        # PyScript's start as the build writes it, a classic script: deferred, as a module would
        # be, so that it runs once the page's Python script is in the document (PyScript reads
        # its config from there).
        '<script defer src="/vendor/pyscript/core.js"></script></head><body>'
        '<p id="out">loading</p>'
        f'<script type="py" config="{config}">\n'
        "import json\n"
        "from pyscript import document\n"
        f"{code}\n"
        "document.getElementById('out').textContent = json.dumps(out)\n"
        "</script></body></html>",
        site_config,
    )
    page.goto(url)
    answer = page.locator("#out")
    answer.filter(has_not_text="loading").wait_for(timeout=90_000)
    return json.loads(answer.text_content())


@pytest.mark.parametrize(
    ("interpreter", "stdlib_suffix"),
    [("pyodide-stock", ".py"), ("pyodide", ".pyc")],
    ids=["stock", "precompiled"],
)
def test_pyodide_boots_from_vendor_files(
    stack: Any, site_config: dict, page: Any, interpreter: str, stdlib_suffix: str
) -> None:
    """Both interpreter modules start PyScript; fast.mjs imports the stdlib as bytecode."""
    code = (
        "import sys, traceback\n"
        "try:\n"
        "    json.loads('{')\n"
        "except ValueError:\n"
        "    frames = [f for f in traceback.format_exc().splitlines() if 'decoder.py' in f]\n"
        "out = {'file': json.__file__, 'version': sys.version.split()[0], 'frames': frames}"
    )
    result = run_python(page, stack, site_config, interpreter, code)
    assert result["file"].endswith("json/__init__" + stdlib_suffix)
    # Tracebacks keep file and line through the precompiled stdlib too.
    assert any('json/decoder.py", line ' in frame for frame in result["frames"])


def test_stdlib_modules_outside_the_start_zip_still_import(
    stack: Any, site_config: dict, page: Any
) -> None:
    """fast.mjs starts on the start zip; other stdlib modules come from the full zip, once."""
    code = (
        "start = json.__file__\n"
        "import difflib, json.tool, email.mime.text\n"
        "try:\n"
        "    import no_such_module_anywhere\n"
        "    missing = 'imported'\n"
        "except ModuleNotFoundError as exc:\n"
        "    missing = exc.name\n"
        "out = {'start': start, 'difflib': difflib.__file__, 'tool': json.tool.__file__,\n"
        "    'mime': email.mime.text.__file__, 'missing': missing,\n"
        "    'ratio': difflib.SequenceMatcher(None, 'abcd', 'abce').ratio()}"
    )
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url.rsplit("/", 1)[-1]))
    result = run_python(page, stack, site_config, "pyodide", code)
    full = "/lib/python_stdlib_full.zip/"
    assert result["start"] == "/lib/python314.zip/json/__init__.pyc"
    assert result["difflib"] == full + "difflib.pyc"
    assert result["tool"] == full + "json/tool.pyc"
    assert result["mime"] == full + "email/mime/text.pyc"
    assert result["missing"] == "no_such_module_anywhere"
    assert result["ratio"] == 0.75
    assert fetched.count("python_stdlib.start.pyc.zip") == 1
    assert fetched.count("python_stdlib.pyc.zip") == 1


# Runs in the page: starts tuned Pyodide as boot.js does, with the bytecode bundle, writes
# session.py as PyScript would (the built source, or an edited one), imports it and reports.
IMPORT_WITH_PYCACHE = """async ([module, pycache, source]) => {
  const fast = await import(module);
  const pyodide = await fast.prestart({ pycache });
  pyodide.FS.writeFile("session.py", source);
  return JSON.parse(pyodide.runPython(`
import importlib.util, json, session
cached = open(session.__cached__, "rb").read()
source = open(session.__file__, "rb").read()
json.dumps({
    "cached": session.__cached__,
    "fresh": importlib.util.source_hash(source) == cached[8:16],
    "marker": getattr(session, "EDITED", None),
})
`));
}"""


@pytest.mark.parametrize("edited", [False, True], ids=["as-built", "edited-since"])
def test_tuned_pyodide_imports_the_app_from_its_bytecode_unless_the_source_changed(
    stack: Any, site_config: dict, page: Any, edited: bool
) -> None:
    entry = serve.built_interpreters()["pyodide"]
    source = (serve.PY_DIR / "session.py").read_text()
    if edited:
        source += "\nEDITED = 'yes'\n"
    url = stack.app_url + "/_assets_pycache.html"
    serve_page(page, url, "", site_config)
    page.goto(url)
    bundled = "__pycache__/session.cpython-"
    result = page.evaluate(IMPORT_WITH_PYCACHE, [entry["module"], entry["pycache"], source])
    assert bundled in result["cached"]
    # Checked hash: the bundled .pyc matches the source it was built from and serves it; beside
    # an edited source it no longer matches, and the edited source is what runs.
    assert result["fresh"] is not edited
    assert result["marker"] == ("yes" if edited else None)


# Runs in the page: starts tuned Pyodide as boot.js does; whether Python's garbage collector is
# on while the page is loading, then once it has decided.
GC_AROUND_THE_DECISION = """async (module) => {
  const fast = await import(module);
  const pyodide = await fast.prestart();
  const enabled = () => pyodide.runPython("import gc; gc.isenabled()");
  const loading = enabled();
  document.body.dataset.session = "logged-out";
  const deadline = performance.now() + 5000;
  while (!enabled() && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { loading, decided: enabled() };
}"""


def test_tuned_pyodide_collects_no_garbage_until_the_page_has_decided(
    stack: Any, site_config: dict, page: Any
) -> None:
    """The start zip's sitecustomize turns the collector off; fast.mjs turns it back on."""
    url = stack.app_url + "/_assets_gc.html"
    serve_page(page, url, '</head><body data-session="loading"></body></html>', site_config)
    page.goto(url)
    module = serve.built_interpreters()["pyodide"]["module"]
    assert page.evaluate(GC_AROUND_THE_DECISION, module) == {"loading": False, "decided": True}
