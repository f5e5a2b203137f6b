"""What a custom transformer does to a request, found by running it once in node exactly as
CCR 2.0.0 does (`require(require.resolve(path))`, `new Module(options)`, then
`transformRequestIn(request, provider, context)`) with a stand-in for the provider's key.
Used by the proxy (which headers to send) and by `ccrgen import` (is this file a header-auth
transformer ccrgen can render itself?). Without node, a ccrgen-rendered header transformer
is still recognised from its source.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

KEY_STAND_IN = "__ccrgen_key_stand_in__"
PROBE_TIMEOUT_S = 15   # a transformer that hangs in require/new/transformRequestIn is given up

# Runs each custom transformer as CCR does and prints the headers its transformRequestIn
# returns. Paths and options arrive as argv (JSON), never inside the source.
PROBE_JS = r"""
const entries = JSON.parse(process.argv[1]);
const out = [];
(async () => {
  for (const entry of entries) {
    try {
      const Module = require(require.resolve(entry.path));
      const instance = new Module(entry.options || {});
      let headers = null, changesBody = false;
      if (typeof instance.transformRequestIn === "function") {
        const request = {model: "m", messages: [{role: "user", content: "hi"}]};
        const before = JSON.stringify(request);
        const provider = {name: entry.provider, baseUrl: entry.url, apiKey: entry.key, models: []};
        const result = await instance.transformRequestIn(request, provider, {});
        const config = result && result.config;
        if (config && config.headers) {
          headers = {};
          for (const [k, v] of Object.entries(config.headers)) headers[k] = v === undefined ? null : String(v);
        }
        const body = result && result.body !== undefined ? result.body : result;
        changesBody = JSON.stringify(body) !== before;
      }
      out.push({ok: true, name: instance.name ?? null, headers, changesBody});
    } catch (error) {
      out.push({ok: false, error: String(error && error.message || error).split("\n")[0]});
    }
  }
  process.stdout.write(JSON.stringify(out));
})();
"""

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
            done = signals.run([node, "-e", PROBE_JS, json.dumps(wanted)], timeout=timeout)
            answer = json.loads(done.stdout or "null")
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


def load_in_node(node: str, path: str, options: dict | None) -> CustomTransformer:
    """One transformer as CCR 2.0.0 loads it: its name and headers, or why it does not load."""
    result = (probe_in_node(node, [{"path": path, "options": options or {}, "key": KEY_STAND_IN,
                                    "provider": "provider", "url": ""}]) or [None])[0]
    if result is None:
        return CustomTransformer(path, None, None, error="node did not answer")
    if not result.get("ok"):
        return CustomTransformer(path, None, None, error=result.get("error"))
    return CustomTransformer(path, result.get("name"), result.get("headers"),
                             changes_body=bool(result.get("changesBody")))


def probe(entries: list[dict], node: str | None) -> list[CustomTransformer | None]:
    """Each `transformers` entry ({path, options}) as CCR would load it; None for one that
    cannot be examined (no node and not a ccrgen file, or it does not load)."""
    probes = [{"path": str(Path(e["path"]).expanduser()), "options": e.get("options") or {},
               "key": KEY_STAND_IN, "provider": "provider", "url": ""} for e in entries]
    results = probe_in_node(node, probes) if node and probes else None
    out = []
    for entry, spec, result in zip(entries, probes, results or [None] * len(entries)):
        if result is None:
            out.append(from_source(entry["path"], spec["path"]))
        elif result.get("ok") and result.get("name"):
            out.append(CustomTransformer(entry["path"], result["name"], result.get("headers"),
                                         changes_body=bool(result.get("changesBody"))))
        else:
            out.append(None)
    return out
