"""What the proxy sends to each provider: URL, auth headers and the request changes the
provider's transformer chain makes, worked out once at start-up from the config as CCR
2.0.0 sees it (Providers interpolated, transformers read from the file).

- Auth: `Authorization: Bearer <api_key>` unless a transformer in the provider's `use` list
  changes headers (at model level CCR does not apply headers). Custom transformers (config `transformers`) are run
  once in node with a stand-in key, exactly as CCR calls them (`new Module(options)`, then
  `transformRequestIn(request, provider, context)`), and the headers they return are kept
  (a header set to `undefined` is removed). Without node, a ccrgen-rendered header
  transformer is still understood from its source.
- Built-in transformers: those of proxy/builtins.py are applied as CCR applies them; any
  other built-in name is listed in `UpstreamPlan.unverified` (provider -> names) and said
  once at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ccrgen.ccr import facts
from ccrgen.ccr.config import env_references, providers_of
from ccrgen.ccr.transformers import KEY_STAND_IN, CustomTransformer, as_custom, from_source, probe_entry, probe_in_node
from ccrgen.proxy.builtins import (CCR_REQUEST_KEYS, CONFIG_HEADERS, UNDEFINED, Chain, Outgoing, ResponseChain, Step,
                                  implemented)


@dataclass
class Upstream:
    provider: str
    url: str
    key: str
    models: list[str]
    chain: list = field(default_factory=list)            # provider-level `use`
    model_chains: dict = field(default_factory=dict)     # model -> `use`

    @cached_property
    def parsed_url(self):
        """`url` parsed once (yarl, as aiohttp takes it), not on every request."""
        import yarl

        return yarl.URL(self.url)

    def url_for(self, outgoing):
        """Where one request goes: the URL a transformer chose (gemini's), else `url`."""
        target = getattr(outgoing, "target_url", None)
        if target is None:
            return self.parsed_url
        import yarl

        return yarl.URL(target)

    def headers_and_steps(self, model: str, customs: dict[str, CustomTransformer]) -> tuple[dict, Chain]:
        """The headers CCR sends this provider for `model`, and the built-in steps of its chain."""
        config_headers = None
        steps = []
        for level, entries in (("provider", self.chain), ("model", self.model_chains.get(model, []))):
            for entry in entries:
                name, options = use_entry(entry)
                custom = customs.get(name)
                if custom is not None and custom.headers is not None and level == "provider":
                    config_headers = custom.headers   # CCR: config = {...config, ...transformIn.config}
                elif implemented(name):
                    steps.append(Step(name, options, level, self.key if name in CONFIG_HEADERS else "", self.url))
                    if name in CONFIG_HEADERS and level == "provider":
                        config_headers = CONFIG_HEADERS[name](self.key)
        return request_headers(self.key, config_headers), Chain(steps)

    def response_chain(self, model: str, customs: dict[str, CustomTransformer]) -> ResponseChain:
        return self.headers_and_steps(model, customs)[1].responses()

    def bypasses(self, model: str, registered) -> bool:
        """CCR 2.0.0's pass-through (`shouldBypassTransformers`, dist/cli.js `hN`): the provider's
        `use` list, once names nothing registers are dropped, is exactly the endpoint's own
        transformer (`Anthropic`), and the model's `use` list is empty or that one too. CCR
        then sends the client's request as it came (model and `stream` set), with the client's
        headers, and hands the provider's answer back untouched (`bypass_request`)."""
        def names(entries) -> list[str]:
            return [n for n in (use_entry(e)[0] for e in entries) if n in registered]

        return names(self.chain) == [ANTHROPIC] and names(self.model_chains.get(model, [])) in ([], [ANTHROPIC])


def registered_names(customs) -> frozenset:
    """The transformer names CCR registers: its built-ins and the custom ones that loaded."""
    return facts.BUILTIN_TRANSFORMERS | frozenset(customs)


ANTHROPIC = "Anthropic"   # the transformer of CCR's /v1/messages endpoint
# Client headers the pass-through does not forward: CCR drops host and content-length; the
# hop-by-hop ones belong to each connection (the HTTP client sets its own), as does the encoding.
NOT_FORWARDED = frozenset({"host", "content-length", "connection", "keep-alive", "transfer-encoding", "upgrade",
                           "te", "trailer", "proxy-connection", "proxy-authorization", "accept-encoding"})


def bypass_request(body: dict, model: str, client_headers, key: str) -> tuple[dict, dict]:
    """(body, headers) CCR 2.0.0 sends on its pass-through (`Upstream.bypasses`): the client's
    body with `model` set to the provider's model and a falsy `stream` made false (CCR's
    preHandler), key order kept; the client's headers (names lower-cased, as node gives them;
    host and content-length dropped), then the Anthropic transformer's `auth`: `x-api-key` set
    to the provider's key and the client's `authorization` removed, under CCR's own
    `Authorization: Bearer <key>`. Empty values and an "undefined" one are not sent."""
    out = dict(body)
    out["model"] = model
    if not out.get("stream"):
        out["stream"] = False
    forwarded: dict = {}
    for name, value in client_headers.items():
        lower = name.lower()
        if lower in NOT_FORWARDED:
            continue
        forwarded[lower] = f"{forwarded[lower]}, {value}" if lower in forwarded else value
    forwarded.pop("authorization", None)
    forwarded["x-api-key"] = key
    merged = {"Authorization": f"Bearer {key}", **forwarded}
    headers = {"content-type": "application/json"}
    for name, value in merged.items():
        if value == "undefined" or (name in ("authorization", "Authorization") and "undefined" in str(value)):
            continue
        if value:
            headers[name.lower()] = str(value)
    return out, headers


def request_headers(key: str, config_headers: dict | None) -> dict:
    """CCR's sendRequestToProvider: Bearer first, the transformer's headers over it (by exact
    name), "undefined" values and an Authorization holding "undefined" removed, unset
    (undefined) and empty values not sent; names are case-insensitive on the wire."""
    merged: dict = {"Authorization": f"Bearer {key}"}
    for name, value in (config_headers or {}).items():
        merged[name] = value.replace(KEY_STAND_IN, key) if isinstance(value, str) else value
    headers = {}   # content-type: application/json is added by the sender, as CCR's Headers does
    for name, value in merged.items():
        if value == "undefined" or (name in ("authorization", "Authorization") and "undefined" in str(value or "")):
            continue
        if value:
            headers[name.lower()] = str(value)
    return headers


def use_entry(entry) -> tuple[str, dict]:
    if isinstance(entry, list) and entry:
        return str(entry[0]), entry[1] if len(entry) > 1 and isinstance(entry[1], dict) else {}
    return str(entry), {}


def uses_of(provider: dict) -> tuple[list, dict]:
    spec = provider.get("transformer") if isinstance(provider.get("transformer"), dict) else {}
    chain = spec.get("use") if isinstance(spec.get("use"), list) else []
    per_model = {k: v["use"] for k, v in spec.items()
                 if k != "use" and isinstance(v, dict) and isinstance(v.get("use"), list)}
    return chain, per_model


def urls_with_credentials(config: dict) -> list[tuple[tuple, str, str]]:
    """(config path, provider name, masked URL) of each provider whose `api_base_url`
    carries `user:pass@`. CCR 2.0.0 sends requests with Node's fetch, which refuses such a
    URL ("Request cannot be constructed from a URL that includes credentials"): every
    request to that provider fails in CCR, so ccrgen serve refuses the config at load."""
    from ccrgen.ccr.config import providers_key
    from ccrgen.common.secrets import mask_url, url_has_credentials

    found = []
    for index, provider in enumerate(providers_of(config)):
        url = provider.get("api_base_url") if isinstance(provider, dict) else None
        if isinstance(url, str) and url_has_credentials(url):
            found.append(((providers_key(config), index, "api_base_url"), str(provider.get("name")), mask_url(url)))
    return found


def upstreams_of(config: dict) -> dict[str, Upstream]:
    """Providers CCR registers (name, api_base_url and api_key all non-empty), by name."""
    table = {}
    for provider in providers_of(config):
        if not isinstance(provider, dict):
            continue
        name, url, key = provider.get("name"), provider.get("api_base_url"), provider.get("api_key")
        if not (name and url and key):
            continue
        chain, per_model = uses_of(provider)
        models = [m for m in provider.get("models") or [] if isinstance(m, str)]
        table[str(name)] = Upstream(str(name), str(url), str(key), models, chain, per_model)
    return table


def apply_steps(body: dict, steps: Chain) -> dict:
    """The request to send. Without steps (most providers) it is what `Chain.apply` gives,
    `to_json(with_ccr_keys(body))`, built without copying the whole body: CCR's keys first
    in their order, then the rest; a body converted from the client's JSON holds no
    `UNDEFINED`, so there is nothing deeper to drop."""
    if steps.steps:
        return steps.apply(body)
    outgoing = Outgoing((key, body[key]) for key in CCR_REQUEST_KEYS if key in body and body[key] is not UNDEFINED)
    for key, value in body.items():
        if key not in outgoing and value is not UNDEFINED:
            outgoing[key] = value
    return outgoing


# -- start-up ------------------------------------------------------------------------------

@dataclass
class UpstreamPlan:
    upstreams: dict[str, Upstream]
    customs: dict[str, CustomTransformer]     # by registered name
    notes: list[str]                          # said once at start-up
    # provider name -> names in its chains (provider or model level) that ccrgen serve does
    # not reproduce: built-ins not implemented, custom transformers that change the body
    unverified: dict[str, list[str]] = field(default_factory=dict)

    def secrets(self) -> list[str]:
        return [u.key for u in self.upstreams.values()]

    @cached_property
    def registered(self) -> frozenset:
        return registered_names(self.customs)


def plan(config: dict, raw_config: dict, env, node: str | None,
         file_overrides: dict[str, str] | None = None) -> UpstreamPlan:
    """`config` as CCR sees it; `raw_config` as written (for the unset-variable notes);
    `file_overrides` maps a configured transformer path to the file to load instead (a
    spec's rendered transformer that is not installed yet)."""
    upstreams = upstreams_of(config)
    notes = _unset_variable_notes(raw_config, env)
    for provider in providers_of(config):
        if isinstance(provider, dict) and provider.get("name") and str(provider.get("name")) not in upstreams:
            notes.append(f"provider {provider.get('name')!r} is not registered (CCR 2.0.0 drops a provider "
                         "whose name, api_base_url or api_key is empty)")
    customs = _load_customs(config, upstreams, node, file_overrides or {}, notes)
    _drop_unconstructible(upstreams, customs, notes)
    unverified = _unverified(upstreams, customs)
    used = {use_entry(e)[0] for u in upstreams.values() for e in _entries(u)}
    for name in sorted(used):
        if name in customs or implemented(name):
            continue
        if name == ANTHROPIC and not any(name in missing for missing in unverified.values()):
            continue   # only in chains CCR passes through, which ccrgen serve does as CCR does
        if name in facts.BUILTIN_TRANSFORMERS:
            notes.append(f"transformer {name!r} (built into CCR) is not implemented by ccrgen serve: "
                         "requests go out without it (not verified; use --via ccr)")
        else:
            notes.append(f"transformer {name!r} is used but no transformer registers that name "
                         "(CCR ignores it too)")
    for custom in customs.values():
        if custom.changes_body:
            notes.append(f"transformer {custom.name!r} changes request bodies; ccrgen serve applies only its "
                         "headers (not verified; use --via ccr)")
    return UpstreamPlan(upstreams, customs, notes, unverified)


def _entries(upstream: Upstream) -> list:
    return upstream.chain + [e for chain in upstream.model_chains.values() for e in chain]


def _unverified(upstreams: dict[str, Upstream], customs: dict[str, CustomTransformer]) -> dict[str, list[str]]:
    """Per provider, the transformer names in its chains whose effect ccrgen serve does not reproduce."""
    table = {}
    registered = registered_names(customs)
    for name, upstream in upstreams.items():
        missing = []
        for level, entries in [("provider", upstream.chain)] + [("model", c) for c in upstream.model_chains.values()]:
            for entry in entries:
                used, _ = use_entry(entry)
                custom = customs.get(used)
                if custom is not None:
                    # at model level CCR sends a `{body, config}` answer as the body itself
                    off = custom.changes_body or (level == "model" and custom.headers is not None)
                elif used == ANTHROPIC:   # reproduced only as CCR's pass-through
                    off = not all(upstream.bypasses(m, registered)
                                  for m in set(upstream.models) | set(upstream.model_chains))
                else:
                    off = used in facts.BUILTIN_TRANSFORMERS and not implemented(used)
                if off and used not in missing:
                    missing.append(used)
        if missing:
            table[name] = missing
    return table


def _drop_unconstructible(upstreams: dict[str, Upstream], customs: dict, notes: list[str]) -> None:
    """CCR calls `new` on `[NAME, {options}]`: for a transformer registered as an instance (a
    custom one, or a built-in such as tooluse or deepseek) that throws, and CCR 2.0.0 leaves
    the whole provider unregistered (`provider registered error: TypeError`)."""
    for name, upstream in list(upstreams.items()):
        for entry in _entries(upstream):
            used, _ = use_entry(entry)
            if isinstance(entry, list) and (used in facts.INSTANCE_BUILTINS or used in customs):
                notes.append(f"provider {name!r} is not registered: CCR 2.0.0 cannot take options for "
                             f"transformer {used!r} (write \"{used}\" instead of [\"{used}\", {{...}}])")
                del upstreams[name]
                break


def _unset_variable_notes(raw_config: dict, env) -> list[str]:
    notes = []
    for key in facts.INTERPOLATED_KEYS:
        for text in _strings(raw_config.get(key)):
            for name in env_references(text):
                if not env.get(name):
                    notes.append(f"${name} is not set: {key} keeps the text '${name}' as written, as CCR does")
    return sorted(set(notes))


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _load_customs(config, upstreams, node, overrides, notes) -> dict[str, CustomTransformer]:
    entries = [t for t in config.get("transformers") or [] if isinstance(t, dict) and isinstance(t.get("path"), str)]
    if not entries:
        return {}
    probes = [probe_entry(overrides.get(t["path"], t["path"]), t) for t in entries]
    results = probe_in_node(node, probes) if node else None
    customs = {}
    for entry, probe, result in zip(entries, probes, results or [None] * len(entries)):
        path = entry["path"]
        if result is None:  # no node: a ccrgen-rendered transformer can still be read
            custom = from_source(path, probe["path"])
            if custom is None:
                notes.append(f"transformer {path}: node is not available to load it; its headers are not applied")
                continue
        elif not result.get("ok") and result.get("step") == "transformRequestIn" and result.get("name"):
            notes.append(f"transformer {path} loads as '{result['name']}' but throws on a request: "
                         f"{result.get('error')} (routes through it are not verified)")
            custom = CustomTransformer(path, result["name"], None, changes_body=True)
        elif not result.get("ok"):
            notes.append(f"transformer {path} does not load: {result.get('error')} "
                         "(CCR ignores it too: requests go out with Authorization: Bearer)")
            continue
        elif not result.get("name"):
            notes.append(f"transformer {path} has no name: CCR cannot register it")
            continue
        else:
            custom = as_custom(path, result)
        customs[custom.name] = custom
    if node:
        _probe_real_requests(node, upstreams, customs, entries, overrides)
    return customs


# Requests like the ones Claude Code sends (a stream with tools and a system prompt, thinking):
# each custom transformer is also run on these, with its providers' names, URLs and models,
# since one probe request cannot see a transformer that changes only some requests.
SAMPLES = ({"max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]},
           {"max_tokens": 32000, "stream": True, "system": [{"type": "text", "text": "You are Claude Code."}],
            "tools": [{"name": "Bash", "description": "run", "input_schema": {"type": "object"}}],
            "messages": [{"role": "user", "content": "ls"}]},
           {"max_tokens": 16000, "thinking": {"type": "enabled", "budget_tokens": 2048},
            "messages": [{"role": "user", "content": "think"}]})
MAX_PROBED_MODELS = 8


def _probe_real_requests(node, upstreams, customs, entries, overrides) -> None:
    """Mark as changing bodies (`changes_body`: not verified) each custom transformer that
    changes, sets other headers for, or throws on some request its providers would really get."""
    import dataclasses

    from ccrgen.proxy.translate import request_to_openai

    wanted = []
    for entry in entries:
        path = entry["path"]
        custom = next((c for c in customs.values() if c.path == path), None)
        if custom is None or custom.changes_body:
            continue
        calls = []
        for upstream in upstreams.values():
            if custom.name not in {use_entry(e)[0] for e in _entries(upstream)}:
                continue
            provider = {"name": upstream.provider, "baseUrl": upstream.url, "apiKey": KEY_STAND_IN,
                        "models": upstream.models}
            for model in (upstream.models or ["m"])[:MAX_PROBED_MODELS]:
                calls += [{"request": request_to_openai(sample, model), "provider": provider} for sample in SAMPLES]
        if calls:
            wanted.append((custom, probe_entry(overrides.get(path, path), entry, calls)))
    if not wanted:
        return
    answer = probe_in_node(node, [w for _, w in wanted]) or [None] * len(wanted)
    for (custom, _), result in zip(wanted, answer):
        # cannot tell (node failed) counts as changing: not verified rather than ok
        if not result or not result.get("ok") or result.get("changesBody") or result.get("varies"):
            customs[custom.name] = dataclasses.replace(custom, changes_body=True)
