"""What a custom transformer does to a request, found by running it in node exactly as
CCR 2.0.0 does (`require(require.resolve(path))`, `new Module(options)`, then
`transformRequestIn(request, provider, context)`) with a stand-in for the provider's key.
The one place ccrgen runs transformers: the proxy (which headers to send; does it treat some
requests differently?), `doctor` (does it load, and why not) and `ccrgen import` (is this file
a header-auth transformer ccrgen can render itself?). Without node, a ccrgen-rendered header
transformer is still recognised from its source.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

KEY_STAND_IN = "__ccrgen_key_stand_in__"
PROBE_TIMEOUT_S = 15   # a transformer that hangs in require/new/transformRequestIn is given up

# Runs each custom transformer as CCR 2.0.0's registerTransformerFromConfig does:
# require(require.resolve(path)), `new Module(options)` with the options exactly as config.json
# has them (undefined when the entry has none), a logger set on the instance, a name required;
# then its transformRequestIn on each of the entry's `calls`. The first call gives the headers
# it sets and whether it changes the body; a later call that changes the body, sets other
# headers or throws marks it `varies` (it treats some requests differently). The answer is
# written after a mark and node exits, so a transformer that prints or keeps a timer running
# cannot spoil it. Paths, options and requests arrive as argv (JSON), never inside the source.
PROBE_JS = r"""
const entries = JSON.parse(process.argv[1]);
const MARK = process.argv[2];
const noop = () => {};
const LOGGER = {trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop, log: noop};
LOGGER.child = () => LOGGER;
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
function headersOf(result) {
  const config = result && result.config;
  if (!config || !config.headers) return null;
  const headers = {};
  for (const [k, v] of Object.entries(config.headers)) headers[k] = v === undefined ? null : String(v);
  return headers;
}
(async () => {
  const out = [];
  for (const entry of entries) {
    let step = "require", name = null;
    try {
      const Module = require(require.resolve(entry.path));
      step = "new";
      if (typeof Module !== "function")
        throw new TypeError(`module.exports is ${Module === null ? "null" : typeof Module}, not a class`);
      const instance = new Module(entry.options);
      if (instance && typeof instance === "object") instance.logger = LOGGER;
      name = instance && instance.name ? String(instance.name) : null;
      const result = {ok: true, name, headers: null, changesBody: false, varies: false};
      if (name && typeof instance.transformRequestIn === "function") {
        step = "transformRequestIn";
        let first;
        for (const [i, call] of (entry.calls || []).entries()) {
          let back;
          try {
            back = await instance.transformRequestIn(JSON.parse(JSON.stringify(call.request)), call.provider, {});
          } catch (error) {
            if (i === 0) throw error;
            result.varies = true;   // it throws on some requests: CCR answers those with an error
            break;
          }
          const body = back && back.body !== undefined ? back.body : back;
          const headers = headersOf(back);
          if (i === 0) {
            result.headers = headers;
            result.changesBody = !same(body, call.request);
            first = JSON.stringify(headers);
          } else if (!same(body, call.request) || JSON.stringify(headers) !== first) {
            result.varies = true;
            break;
          }
        }
      }
      out.push(result);
    } catch (error) {
      out.push({ok: false, step, name, kind: String(error && error.name || ""),
                error: String(error && error.message || error).split("\n")[0]});
    }
  }
  require("fs").writeSync(1, "\n" + MARK + JSON.stringify(out) + "\n");
  process.exit(0);
})();
"""
MARK = "@@ccrgen-probe@@"
PROBE_REQUEST = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def probe_entry(path: str, entry: dict | None = None, calls: list[dict] | None = None) -> dict:
    """What `probe_in_node` runs for one `transformers` entry: the file at `path` with the
    entry's options as config.json has them (none when it has none), and `calls` (requests
    with the provider CCR passes along; default: one small request)."""
    spec: dict = {"path": path}
    if entry is not None and "options" in entry:
        spec["options"] = entry["options"]
    spec["calls"] = calls if calls is not None else [
        {"request": PROBE_REQUEST, "provider": {"name": "provider", "baseUrl": "", "apiKey": KEY_STAND_IN, "models": []}}]
    return spec


HEADER_IN_SOURCE = re.compile(r'const HEADER = ("[^"]*");\s*const PREFIX = ("[^"]*");')


@dataclass(frozen=True)
class CustomTransformer:
    path: str
    name: str | None
    headers: dict | None        # header -> value with KEY_STAND_IN, None = removed
    error: str | None = None
    changes_body: bool = False


def probe_in_node(node: str, probes: list[dict], timeout: float = PROBE_TIMEOUT_S) -> list[dict] | None:
    """Each probe's result, or None when node fails or takes longer than `timeout`. The node
    child is killed then, and on Ctrl-C/SIGTERM/SIGHUP (ccrgen.common.signals), from any thread."""
    from ccrgen.common import signals
    from ccrgen.common.inputs import unreadable_reason

    # node is never handed a FIFO (require would wait forever), a device such as /dev/zero
    # (never ends) or a file over the input size limit: those fail here, with why
    refused = {i: unreadable_reason(Path(p["path"])) for i, p in enumerate(probes)}
    refused = {i: reason for i, reason in refused.items() if reason}
    wanted = [p for i, p in enumerate(probes) if i not in refused]
    answer: list = []
    if wanted:
        try:
            done = signals.run([node, "-e", PROBE_JS, json.dumps(wanted), MARK], timeout=timeout)
            answer = json.loads((done.stdout or "").rpartition(MARK)[2] or "null")
        except (OSError, subprocess.TimeoutExpired, ValueError):
            return None
        if not (isinstance(answer, list) and len(answer) == len(wanted)):
            return None
    results = iter(answer)
    return [{"ok": False, "error": f"cannot read {p['path']}: {refused[i]}"} if i in refused else next(results)
            for i, p in enumerate(probes)]


def from_source(path: str, real_path: str) -> CustomTransformer | None:
    from ccrgen.errors import CcrgenError
    from ccrgen.common.inputs import read_text

    try:
        source = read_text(Path(real_path))  # a regular file, size-limited (never /dev/zero)
    except CcrgenError:
        return None
    match = HEADER_IN_SOURCE.search(source)
    name = re.search(r'static name = ("[^"]*");', source)
    if not (match and name):
        return None
    header, prefix = json.loads(match.group(1)), json.loads(match.group(2))
    return CustomTransformer(path, json.loads(name.group(1)),
                             {header: prefix + KEY_STAND_IN, "Authorization": None, "authorization": None})


def header_auth_of(custom: CustomTransformer) -> tuple[str, str] | None:
    """(header, prefix) when the transformer only moves the key into a header of its own
    and removes Authorization (Hicap's, ccrgen's template): what a spec's `auth:` renders."""
    if custom.headers is None or custom.changes_body or not custom.name:
        return None
    carriers = {k: v for k, v in custom.headers.items() if v is not None}
    removed = {k.lower() for k, v in custom.headers.items() if v is None}
    if len(carriers) != 1 or "authorization" not in removed or removed - {"authorization"}:
        return None
    (header, value), = carriers.items()
    if header.lower() == "authorization" or not value.endswith(KEY_STAND_IN) or value.count(KEY_STAND_IN) != 1:
        return None
    return header, value[: -len(KEY_STAND_IN)]


def as_custom(path: str, result: dict) -> CustomTransformer:
    """A probe result as what the proxy and import use (`error` set when it does not load)."""
    if not result.get("ok"):
        return CustomTransformer(path, result.get("name"), None, error=result.get("error"))
    return CustomTransformer(path, result.get("name"), result.get("headers"),
                             changes_body=bool(result.get("changesBody") or result.get("varies")))


def probe(entries: list[dict], node: str | None) -> list[CustomTransformer | None]:
    """Each `transformers` entry ({path, options}) as CCR would load it; None for one that
    cannot be examined (no node and not a ccrgen file, or it does not load)."""
    paths = [str(Path(e["path"]).expanduser()) for e in entries]
    results = probe_in_node(node, [probe_entry(p, e) for p, e in zip(paths, entries)]) if node and entries else None
    out = []
    for entry, path, result in zip(entries, paths, results or [None] * len(entries)):
        if result is None:
            out.append(from_source(entry["path"], path))
        elif result.get("ok") and result.get("name"):
            out.append(as_custom(entry["path"], result))
        else:
            out.append(None)
    return out
