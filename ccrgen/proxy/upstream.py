"""What the proxy sends to each provider: URL, auth headers and the request changes the
provider's transformer chain makes, worked out once at start-up from the config as CCR
2.0.0 sees it (Providers interpolated, transformers read from the file).

- Auth: `Authorization: Bearer <api_key>` unless a transformer in the provider's (or the
  model's) `use` list changes headers. Custom transformers (config `transformers`) are run
  once in node with a stand-in key, exactly as CCR calls them (`new Module(options)`, then
  `transformRequestIn(request, provider, context)`), and the headers they return are kept
  (a header set to `undefined` is removed). Without node, a ccrgen-rendered header
  transformer is still understood from its source.
- Built-in transformers: the ones that only change the request body are applied
  (BODY_TRANSFORMERS); any other name is reported once at start-up, by name.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cached_property

from ccrgen.ccr import facts
from ccrgen.ccr.config import env_references, providers_of
from ccrgen.ccr.transformers import KEY_STAND_IN, CustomTransformer, from_source, probe_in_node


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

    def headers_and_steps(self, model: str, customs: dict[str, CustomTransformer]) -> tuple[dict, list]:
        headers = {"authorization": f"Bearer {self.key}"}
        steps = []
        for entry in self.chain + self.model_chains.get(model, []):
            name, options = use_entry(entry)
            custom = customs.get(name)
            if custom is not None and custom.headers is not None:
                for header, value in custom.headers.items():
                    headers = {k: v for k, v in headers.items() if k != header.lower()}
                    if value is not None:
                        headers[header.lower()] = value.replace(KEY_STAND_IN, self.key)
            elif name in BODY_TRANSFORMERS:
                steps.append((name, options))
        return headers, steps


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


# -- built-in transformers that only change the body (CCR 2.0.0's behaviour) --------------

def _maxtoken(body: dict, options: dict) -> None:
    limit = options.get("max_tokens")
    if body.get("max_tokens") and isinstance(limit, (int, float)) and body["max_tokens"] > limit:
        body["max_tokens"] = limit


def _sampling(body: dict, options: dict) -> None:
    _maxtoken(body, options)
    for key in ("temperature", "top_p", "top_k", "repetition_penalty"):
        if key in options:
            body[key] = options[key]


def _maxcompletiontokens(body: dict, options: dict) -> None:
    if body.get("max_tokens"):
        body["max_completion_tokens"] = body.pop("max_tokens")


def _streamoptions(body: dict, options: dict) -> None:
    if body.get("stream"):
        body["stream_options"] = {"include_usage": True}


def _cleancache(body: dict, options: dict) -> None:
    for message in body.get("messages") or []:
        if isinstance(message.get("content"), list):
            for part in message["content"]:
                if isinstance(part, dict):
                    part.pop("cache_control", None)
        message.pop("cache_control", None)


def _customparams(body: dict, options: dict) -> None:
    def merge(into: dict, extra: dict) -> dict:
        for key, value in extra.items():
            if isinstance(into.get(key), dict) and isinstance(value, dict):
                merge(into[key], value)
            elif key not in into:
                into[key] = copy.deepcopy(value)
        return into

    merge(body, options)


BODY_TRANSFORMERS = {"maxtoken": _maxtoken, "sampling": _sampling, "maxcompletiontokens": _maxcompletiontokens,
                     "streamoptions": _streamoptions, "cleancache": _cleancache, "customparams": _customparams}


def apply_steps(body: dict, steps: list) -> dict:
    for name, options in steps:
        BODY_TRANSFORMERS[name](body, options)
    return body


# -- start-up ------------------------------------------------------------------------------

@dataclass
class UpstreamPlan:
    upstreams: dict[str, Upstream]
    customs: dict[str, CustomTransformer]     # by registered name
    notes: list[str]                          # said once at start-up

    def secrets(self) -> list[str]:
        return [u.key for u in self.upstreams.values()]


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
    if raw_config.get("fallback"):
        notes.append("`fallback` lists are not used by ccrgen serve: a provider error is answered as is")
    customs = _load_customs(config, upstreams, node, file_overrides or {}, notes)
    used = {use_entry(e)[0] for u in upstreams.values() for e in u.chain + sum(u.model_chains.values(), [])}
    for name in sorted(used):
        if name in customs or name in BODY_TRANSFORMERS:
            continue
        if name in facts.BUILTIN_TRANSFORMERS:
            notes.append(f"transformer {name!r} (built into CCR) is not implemented by ccrgen serve: "
                         "requests go out without it")
        else:
            notes.append(f"transformer {name!r} is used but no transformer registers that name "
                         "(CCR ignores it too)")
    for custom in customs.values():
        if custom.changes_body:
            notes.append(f"transformer {custom.name!r} changes request bodies; ccrgen serve applies only its headers")
    return UpstreamPlan(upstreams, customs, notes)


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
    probes = [{"path": overrides.get(t["path"], t["path"]),
               "options": t.get("options") if isinstance(t.get("options"), dict) else {},
               "key": KEY_STAND_IN, "provider": "provider", "url": ""} for t in entries]
    results = probe_in_node(node, probes) if node else None
    customs = {}
    for entry, probe, result in zip(entries, probes, results or [None] * len(entries)):
        path = entry["path"]
        if result is None:  # no node: a ccrgen-rendered transformer can still be read
            custom = from_source(path, probe["path"])
            if custom is None:
                notes.append(f"transformer {path}: node is not available to load it; its headers are not applied")
                continue
        elif not result.get("ok"):
            notes.append(f"transformer {path} does not load: {result.get('error')} "
                         "(CCR ignores it too: requests go out with Authorization: Bearer)")
            continue
        elif not result.get("name"):
            notes.append(f"transformer {path} has no name: CCR cannot register it")
            continue
        else:
            custom = CustomTransformer(path, result["name"], result.get("headers"),
                                       changes_body=bool(result.get("changesBody")))
        customs[custom.name] = custom
    return customs
