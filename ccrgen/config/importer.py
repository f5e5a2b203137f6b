"""`ccrgen import`: a CCR config.json becomes a spec that builds back to it.

- Keys the spec models become spec keys; everything else goes through the spec's `extra`
  pass-through (top level, provider, router), so nothing is lost.
- A custom transformer that only moves the key into a header of its own (Hicap's, the
  guide's, ccrgen's) becomes the provider's `auth: {header: ...}`; ccrgen renders it and
  registers it with an absolute path. Any other transformer is kept as a path.
- Where the config matches a bundled preset (same provider names and base URLs), the spec
  `extends` it and holds only what differs. Both forms are checked before they are
  returned: the spec must build to the config (semantically, apart from the
  normalisations the README lists), else the preset is not used.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ccrgen.ccr.config import providers_of
from ccrgen.common.document import format_path
from ccrgen.errors import CcrgenError, SpecError
from ccrgen.spec.model import ROUTE_KEYS, SERVER_KEYS

PROVIDER_KEYS = ("name", "api_base_url", "api_key", "models", "transformer", "tokenizer")
MODELLED_TOP = set(SERVER_KEYS.values()) | {"Providers", "providers", "Router", "transformers", "fallback"}


@dataclass
class Imported:
    spec: dict                               # spec data, ready to dump as YAML
    extends: str | None = None
    notes: list[str] = field(default_factory=list)
    recognised: dict[str, str] = field(default_factory=dict)   # transformer path -> provider now using `auth:`

    def moved_paths(self, transformer_dir: Path) -> dict[str, str]:
        """Where the build puts each recognised transformer (for comparisons)."""
        from ccrgen.config.render import transformer_file_name

        return {path: str(Path(transformer_dir) / transformer_file_name(provider))
                for path, provider in self.recognised.items()}


class ImportFailed(CcrgenError):
    exit_code = 1


def import_config(loaded, *, node: str | None = None, use_presets: bool = True) -> Imported:
    """`loaded` is a LoadedConfig of kind "config"."""
    from ccrgen.ccr.runner import find_node

    config = loaded.config
    notes: list[str] = []
    auth = _recognised_auth(config, node if node is not None else find_node(), notes)
    if "Providers" in config and "providers" in config:
        notes.append("`providers` is ignored by CCR when `Providers` is there: not imported")
    for index, provider in enumerate(providers_of(config)):
        if not isinstance(provider, dict) or not provider.get("name"):
            notes.append(f"Providers[{index}] has no name (CCR ignores it): not imported")
    full = spec_from_config(config, auth, loaded)
    built = _check_builds_back(full, config, auth, loaded.file)
    recognised = {a["path"]: provider for provider, a in auth.items()}
    if use_presets:
        full_size = len(to_yaml(Imported(full), ""))
        for name, overlay in _preset_overlays(full):
            if len(to_yaml(Imported(overlay, name), "")) < full_size and _builds_to(overlay, built):
                return Imported(overlay, name, notes, recognised)
    return Imported(full, None, notes, recognised)


# -- config -> full spec ---------------------------------------------------------------------

def _recognised_auth(config: dict, node: str | None, notes: list[str]) -> dict[str, dict]:
    """provider name -> {header, prefix[, transformer]} for header-auth transformers."""
    from ccrgen.ccr.transformers import header_auth_of, probe

    entries = [t for t in config.get("transformers") or [] if isinstance(t, dict) and isinstance(t.get("path"), str)
               and not t.get("options")]
    by_name, unexamined = {}, []
    for entry, custom in zip(entries, probe(entries, node)):
        found = header_auth_of(custom) if custom else None
        if found:
            by_name[custom.name] = (entry["path"], found)
        elif custom is None:
            unexamined.append(entry["path"])
    for name, (path, found) in _known_by_file_name(unexamined).items():
        by_name.setdefault(name, (path, found))
        notes.append(f"transformer {path} could not be read here; its name matches the '{name}' preset's "
                     f"header transformer (`{found[0]}`)")
    for path in unexamined:
        if all(path != p for p, _ in by_name.values()):
            notes.append(f"transformer {path} could not be examined (missing, does not load, or no node): "
                         "kept as a path")
    out = {}
    for provider in providers_of(config):
        chain = provider.get("transformer") if isinstance(provider, dict) and \
            isinstance(provider.get("transformer"), dict) else {}
        use = chain.get("use") if isinstance(chain.get("use"), list) else []
        for name in [u for u in use if isinstance(u, str) and u in by_name]:
            path, (header, prefix) = by_name[name]
            out[provider["name"]] = {"header": header, "prefix": prefix, "transformer": name, "path": path}
            break
    if out and not _keeps_order(config.get("transformers") or [], out):
        notes.append("the header transformers (" + ", ".join(dict.fromkeys(a["path"] for a in out.values()))
                     + ") are listed before other transformers or in another order than their providers: "
                       "kept as paths, since `auth:` would move them to the end of `transformers`")
        return {}
    for provider, a in out.items():
        notes.append(f"transformer {a['path']} sends the key in `{a['header']}`: imported as "
                     f"providers.{provider}.auth (ccrgen renders it, with an absolute path)")
    return out


def _keeps_order(entries: list, auth: dict[str, dict]) -> bool:
    """Whether the build lists `transformers` in the config's order: it writes the entries it
    keeps first, then one rendered header transformer per `auth:` provider, in provider order."""
    paths = {a["path"] for a in auth.values()}
    kinds = ["auth" if isinstance(e, dict) and e.get("path") in paths and not e.get("options") else "kept"
             for e in entries]
    if "auth" in kinds and "kept" in kinds[kinds.index("auth"):]:
        return False
    listed = [e["path"] for e, kind in zip(entries, kinds) if kind == "auth"]
    rendered = list(dict.fromkeys(a["path"] for a in auth.values()))   # provider order
    return list(dict.fromkeys(listed)) == rendered


def _known_by_file_name(paths: list[str]) -> dict[str, tuple]:
    """Transformers that cannot be read here (the guide's `~/...` path on another machine)
    but are named like a bundled preset's header transformer: `<name>-transformer.js`."""
    from ccrgen.spec.presets import all_presets
    from ccrgen.spec.model import HeaderAuth
    from ccrgen.spec.resolve import resolve_file

    wanted = {Path(p).name: p for p in paths}
    found = {}
    for ref in all_presets():
        if ref.origin != "bundled":
            continue
        for p_name, provider in resolve_file(ref.path).spec.providers.items():
            if isinstance(provider.auth, HeaderAuth):
                name = provider.auth.transformer or p_name
                if f"{name}-transformer.js" in wanted:
                    found[name] = (wanted[f"{name}-transformer.js"], (provider.auth.header, provider.auth.prefix))
    return found


def spec_from_config(config: dict, auth: dict[str, dict], loaded=None) -> dict:
    spec: dict = {}
    server = {}
    for spec_key, ccr_key in SERVER_KEYS.items():
        if ccr_key in config:
            value = config[ccr_key]
            if spec_key == "timeout_ms" and isinstance(value, str) and value.strip().isdigit():
                value = int(value)
            server[spec_key] = value
    if server:
        spec["server"] = server

    used_paths = {a["path"] for a in auth.values()}
    transformers = []
    for entry in config.get("transformers") or []:
        if isinstance(entry, dict) and entry.get("path") in used_paths and not entry.get("options"):
            continue
        transformers.append(_transformer_entry(entry))
    if transformers:
        spec["transformers"] = transformers

    providers = {}
    for index, provider in enumerate(providers_of(config)):
        if not isinstance(provider, dict) or not provider.get("name"):
            continue
        if _appends(str(provider["name"])):
            key = "Providers" if "Providers" in config else "providers"
            raise SpecError(f"{key}[{index}].name: a provider name ending in '+' cannot be a spec key "
                            f"(`{provider['name']}:` reads as \"append to {str(provider['name'])[:-1]}\")",
                            location=loaded.locate((key, index, "name")) if loaded is not None else None,
                            hint="rename the provider (and the routes naming it), then import again")
        providers[str(provider["name"])] = _provider(provider, auth.get(provider["name"]))
    spec["providers"] = providers

    router = config.get("Router") if isinstance(config.get("Router"), dict) else {}
    routes, extra = {}, {}
    for ccr_key, value in router.items():
        spec_key = next((s for s, c in ROUTE_KEYS.items() if c == ccr_key), None)
        fits = isinstance(value, int) and not isinstance(value, bool) and value > 0 \
            if spec_key == "long_context_threshold" else isinstance(value, str)
        if spec_key and fits:
            routes[spec_key] = value
        else:
            extra[ccr_key] = value
    if extra:
        routes["extra"] = extra
    if routes:
        spec["routes"] = routes
    if isinstance(config.get("fallback"), dict):
        spec["fallback"] = config["fallback"]
    top_extra = {k: v for k, v in config.items() if k not in MODELLED_TOP}
    if top_extra:
        spec["extra"] = top_extra
    _validate(spec, loaded)
    return spec


def _transformer_entry(entry):
    """A `transformers` entry as the spec holds it: keys CCR does not read (a label, a comment)
    go to the entry's `extra`, so they are written back."""
    if not isinstance(entry, dict):
        return entry   # the spec check names it
    out = {k: entry[k] for k in ("path", "options") if k in entry}
    if isinstance(entry.get("name"), str):
        out["name"] = entry["name"]
    extra = {k: v for k, v in entry.items() if k not in out}   # a `name` that is not a string too
    if extra:
        out["extra"] = extra
    return out


def _provider(provider: dict, auth: dict | None) -> dict:
    models = list(dict.fromkeys(provider.get("models") or []))  # repeats dropped, order kept (linear)
    # a key the config lacks stays missing: the spec check below then names it, located
    out = {spec_key: provider[ccr_key] for spec_key, ccr_key in (("base_url", "api_base_url"), ("api_key", "api_key"))
           if ccr_key in provider}
    out["models"] = models
    if auth:
        out["auth"] = {"header": auth["header"]}
        if auth["prefix"]:
            out["auth"]["prefix"] = auth["prefix"]
        if auth["transformer"] != provider["name"]:
            out["auth"]["transformer"] = auth["transformer"]
    chain = provider.get("transformer")
    extra = {}
    if isinstance(chain, dict):
        spec_chain = _chain(chain)
        if not spec_chain or spec_chain.get("use") == [] or any(map(_appends, spec_chain.get("models", {}))):
            # the build would not write it back as is (a per-model key `m+` would read as
            # "append to m"): passed through whole, where keys are literal
            extra["transformer"] = chain
        else:
            if auth and spec_chain.get("use") == [auth["transformer"]]:
                spec_chain.pop("use")        # the auth transformer is added to `use` by the build
            if spec_chain:
                out["transformer"] = spec_chain
    elif chain is not None:
        extra["transformer"] = chain
    if isinstance(provider.get("tokenizer"), dict):
        out["tokenizer"] = provider["tokenizer"]
    elif "tokenizer" in provider:
        extra["tokenizer"] = provider["tokenizer"]
    extra.update({k: v for k, v in provider.items() if k not in PROVIDER_KEYS})
    if extra:
        out["extra"] = extra
    return out


def _appends(key) -> bool:
    """A spec key that the merge rules read as `key+:` (append), not as itself."""
    from ccrgen.spec.merge import APPEND_SUFFIX

    return isinstance(key, str) and key.endswith(APPEND_SUFFIX) and key != APPEND_SUFFIX


def _chain(chain: dict) -> dict | None:
    """CCR's {use, <model>: {use}} as the spec's {use, models}; None when it does not fit."""
    def fits(use) -> bool:
        return isinstance(use, list) and all(
            isinstance(u, str) or (isinstance(u, list) and len(u) == 2 and isinstance(u[0], str)
                                   and isinstance(u[1], dict)) for u in use)

    out: dict = {}
    for key, value in chain.items():
        if key == "use":
            if not fits(value):
                return None
            out["use"] = value
        elif isinstance(value, dict) and set(value) == {"use"} and fits(value["use"]):
            out.setdefault("models", {})[key] = {"use": value["use"]}
        else:
            return None
    return out


def _validate(spec: dict, loaded) -> None:
    from pydantic import ValidationError

    from ccrgen.spec.model import Spec

    try:
        Spec.model_validate(spec)
    except ValidationError as exc:
        error = exc.errors()[0]
        spec_path = tuple(error["loc"])
        config_path = _config_path(spec_path, spec)
        location = loaded.locate(config_path) if loaded is not None and config_path else None
        where = format_path(config_path or spec_path)
        message = "is required" if error["type"] == "missing" else error["msg"]
        raise SpecError(f"{where}: {message}", location=location,
                         hint="CCR 2.0.0 cannot use this value either (see `ccrgen lint`); fix it, then import "
                              "again") from None


def _config_path(spec_path: tuple, spec: dict) -> tuple:
    """The config.json path a spec path came from, for error locations."""
    if not spec_path:
        return ()
    head = spec_path[0]
    if head == "server" and len(spec_path) > 1:
        return (SERVER_KEYS.get(spec_path[1], spec_path[1]),)
    if head == "providers" and len(spec_path) > 1:
        names = list(spec.get("providers", {}))
        index = names.index(spec_path[1]) if spec_path[1] in names else 0
        rest = {"base_url": "api_base_url"}.get(spec_path[2], spec_path[2]) if len(spec_path) > 2 else None
        return ("Providers", index) + ((rest,) if rest else ())
    if head == "routes" and len(spec_path) > 1:
        return ("Router", ROUTE_KEYS.get(spec_path[1], spec_path[1]))
    return (head,)


# -- checking a spec builds back to the config ----------------------------------------------

def build_spec_data(data: dict, transformer_dir: Path) -> dict:
    """The config a spec (as data; `extends` allowed) builds to."""
    from ccrgen.config.render import render
    from ccrgen.spec.resolve import resolve_file

    with tempfile.TemporaryDirectory(prefix="ccrgen-import-") as folder:
        path = Path(folder) / "spec.yaml"
        path.write_text(dump_yaml(data), encoding="utf-8")
        return render(resolve_file(path).spec, transformer_dir).config


def comparable(config: dict, auth_paths: dict[str, str] | None = None) -> dict:
    """The config with the README's normalisations applied, for a semantic comparison:
    `providers` read as `Providers` (and ignored next to it), providers without a name
    left out (CCR ignores them), keys set to null left out (in a spec `null` removes a
    key, and CCR reads a null as unset), a Router always present, empty `transformers` and
    `fallback` left out, API_TIMEOUT_MS as a string, and recognised header-auth transformers
    at the path the build gives them. Everything else must survive, a transformer entry's
    `name` and other keys included."""
    out = _without_nulls(config)
    if "Providers" not in out and "providers" in out:
        out["Providers"] = out.pop("providers")
    out.pop("providers", None)
    if isinstance(out.get("Providers"), list):
        out["Providers"] = [p for p in out["Providers"] if isinstance(p, dict) and p.get("name")]
    out.setdefault("Providers", [])
    out.setdefault("Router", {})
    for key in ("transformers", "fallback"):
        if out.get(key) in ([], {}):
            del out[key]
    if isinstance(out.get("API_TIMEOUT_MS"), int) and not isinstance(out["API_TIMEOUT_MS"], bool):
        out["API_TIMEOUT_MS"] = str(out["API_TIMEOUT_MS"])
    if auth_paths:
        out["transformers"] = [dict(t, path=auth_paths.get(t.get("path"), t.get("path")))
                               if isinstance(t, dict) else t for t in out.get("transformers") or []]
    return out


def _without_nulls(value):
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


_DIR = Path("/ccrgen-import-check")


def _same(a: dict, b: dict) -> list:
    from ccrgen.lifecycle.diff import diff_configs

    return diff_configs(a, b, ignore_order=True)


def _check_builds_back(full: dict, config: dict, auth: dict, file: str) -> dict:
    """What `full` builds to; an error when that is not `config` (a bug in the importer)."""
    from ccrgen.config.render import transformer_file_name

    built = build_spec_data(full, _DIR)
    paths = {a["path"]: str(_DIR / transformer_file_name(name)) for name, a in auth.items()}
    expected = comparable(config, paths)
    # a path shared by several recognised providers is rendered once per provider
    if len(set(paths.values())) != len(auth) or len({a["path"] for a in auth.values()}) != len(auth):
        expected["transformers"] = built.get("transformers", [])
    changes = _same(expected, comparable(built))
    if changes:
        shown = ", ".join(f"{c.op} {c.path}" for c in changes[:5])
        raise ImportFailed(f"{file}: the imported spec would not build back to this config ({shown})",
                           hint="please report this with the config (keys masked)")
    return built


def _builds_to(candidate: dict, built: dict) -> bool:
    """Whether `candidate` (a preset overlay) builds to exactly what the full spec builds to,
    order included: a preset's providers come first in a merge, so an overlay of a config that
    lists them in another order would move them (and CCR's UI, `ccr model` and a later
    `ccrgen diff` show them in the file's order)."""
    from ccrgen.lifecycle.diff import diff_configs

    try:
        return not diff_configs(build_spec_data(candidate, _DIR), built, ignore_order=False)
    except CcrgenError:
        return False


# -- reusing a preset -----------------------------------------------------------------------

SPEC_ONLY_KEYS = ("description", "extends", "$schema", "lint")


def _preset_overlays(full: dict):
    """(preset name, overlay) for each bundled preset whose providers all appear in the
    config with the same base URL, best match first."""
    from ccrgen.spec.presets import all_presets
    from ccrgen.spec.resolve import resolve_file

    candidates = []
    for ref in all_presets():
        if ref.origin != "bundled":
            continue
        base = resolve_file(ref.path).document.data
        base_providers = base.get("providers") or {}
        if not base_providers or not all(
                name in full["providers"] and full["providers"][name].get("base_url") == p.get("base_url")
                for name, p in base_providers.items()):
            continue
        candidates.append((-len(base_providers), ref.name, base))
    for _score, name, base in sorted(candidates, key=lambda c: (c[0], c[1])):
        base = {k: v for k, v in base.items() if k not in SPEC_ONLY_KEYS}
        wanted = _with_known_metadata(full, base)
        yield name, {"extends": name, **_overlay(base, wanted)}


def _with_known_metadata(full: dict, base: dict) -> dict:
    """The full spec with the preset's model metadata where the config names the model."""
    out = dict(full, providers=dict(full["providers"]))
    for name, provider in out["providers"].items():
        known = (base.get("providers") or {}).get(name, {}).get("models") or {}
        if not isinstance(known, dict):
            known = {m: {} for m in known}
        out["providers"][name] = dict(provider, models={m: known.get(m) or {} for m in provider["models"]})
    return out


def _overlay(base, full) -> dict:
    """What to lay over `base` (merge rules: maps merge, other values replace, null removes)
    to get `full`."""
    out = {}
    for key, value in full.items():
        if key not in base:
            out[key] = value
        elif isinstance(value, dict) and isinstance(base[key], dict):
            sub = _overlay(base[key], value)
            if sub:
                out[key] = sub
        elif value != base[key]:
            out[key] = value
    for key in base:
        if key not in full:
            out[key] = None
    return out


# -- output ---------------------------------------------------------------------------------

def to_yaml(imported: Imported, source: str) -> str:
    spec = _short_models(imported.spec)
    head = [f"# Imported from {source} by `ccrgen import`.",
            "# Build it with `ccrgen build <this file> --install` (or `ccrgen diff` first)."]
    if imported.extends:
        head.append(f"# Extends the '{imported.extends}' preset: only what differs from it is written here.")
    body = dump_yaml(spec)
    return "\n".join(head) + "\n" + body


def dump_yaml(data: dict) -> str:
    import yaml

    # libyaml's emitter and parser when PyYAML has them: the pure-Python ones take ~10 s
    # each way for a config with 100,000 models
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    options = {"Dumper": dumper, "sort_keys": False, "default_flow_style": False, "width": 100}
    text = yaml.dump(data, allow_unicode=True, **options)
    if yaml.load(text, Loader=loader) != data:  # characters YAML reads as line breaks (U+0085, U+2028): escape them
        text = yaml.dump(data, allow_unicode=False, **options)
    return text


def _short_models(spec: dict) -> dict:
    """Models without metadata as a plain list (`models: [a, b]`)."""
    providers = spec.get("providers")
    if not isinstance(providers, dict):
        return spec
    out = dict(spec, providers={})
    for name, provider in providers.items():
        if isinstance(provider, dict) and isinstance(provider.get("models"), dict) and \
                not any(provider["models"].values()) and all(v == {} for v in provider["models"].values()):
            provider = dict(provider, models=list(provider["models"]))
        out["providers"][name] = provider
    return out


def holds_literal_secret(spec: dict) -> bool:
    from ccrgen.common.secrets import is_reference, is_secret_key

    def walk(value, key="") -> bool:
        if isinstance(value, dict):
            return any(walk(v, k) for k, v in value.items())
        if isinstance(value, list):
            return any(walk(v, key) for v in value)
        return bool(key and is_secret_key(key) and isinstance(value, str) and value and not is_reference(value))

    return walk(spec)

