"""Spec -> what CCR 2.0.0 reads: the config.json content and the transformer files.

The config is built as a dict from the validated model (never pasted together as text);
JavaScript comes from Jinja2 templates in templates/, every interpolated value through
`tojson`. `origins` maps each config path to the spec path it came from, so findings on
the config can point at the line of the YAML.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ccrgen import __version__

if TYPE_CHECKING:  # pydantic: `build` and `diff` of a config.json write it without the spec model
    from ccrgen.spec.model import HeaderAuth, Spec

HEADER_AUTH_TEMPLATE = "header-auth-transformer.js.j2"


@dataclass
class Rendered:
    config: dict
    files: dict[str, str] = field(default_factory=dict)   # file name -> text (JS)
    origins: dict[tuple, tuple] = field(default_factory=dict)  # config path -> spec path

    def config_text(self) -> str:
        return config_json(self.config)


def config_json(config: dict) -> str:
    """config.json as ccrgen writes it: 2-space indent, non-ASCII kept, trailing newline."""
    return json.dumps(config, indent=2, ensure_ascii=False) + "\n"


def transformer_file_name(provider: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", provider).strip("-.").lower() or "provider"
    return f"{slug}-transformer.js"


def render(spec: Spec, transformer_dir: Path) -> Rendered:
    """`transformer_dir` is where the JS files will live; config paths point there (absolute)."""
    from ccrgen.spec.model import ROUTE_KEYS, SERVER_KEYS, HeaderAuth

    transformer_dir = Path(transformer_dir).expanduser().absolute()
    out = Rendered(config={})
    cfg, origins = out.config, out.origins

    for spec_key, ccr_key in SERVER_KEYS.items():
        value = getattr(spec.server, spec_key)
        if value is None:
            continue
        if spec_key == "timeout_ms":
            value = str(value)  # CCR passes it on as an environment value; the guide writes a string
        cfg[ccr_key] = value
        origins[(ccr_key,)] = ("server", spec_key)

    transformers: list[dict] = []
    for i, custom in enumerate(spec.transformers):
        entry = {"path": custom.path}
        if custom.options is not None:
            entry["options"] = custom.options
        if custom.name is not None:   # a label CCR ignores; kept so an imported config builds back to itself
            entry["name"] = custom.name
        entry.update(custom.extra)
        origins[("transformers", len(transformers))] = ("transformers", i)
        origins[("transformers", len(transformers), "path")] = ("transformers", i, "path")
        transformers.append(entry)

    providers: list[dict] = []
    for name, provider in spec.providers.items():
        p_index = len(providers)
        sp = ("providers", name)
        entry: dict = {"name": name, "api_base_url": provider.base_url, "api_key": provider.api_key,
                       "models": list(provider.models)}
        for key, spec_key in (("name", None), ("api_base_url", "base_url"), ("api_key", "api_key"),
                              ("models", "models")):
            origins[("Providers", p_index, key)] = sp + ((spec_key,) if spec_key else ())
        for m_index, model in enumerate(provider.models):
            origins[("Providers", p_index, "models", m_index)] = sp + ("models", model)
        origins[("Providers", p_index)] = sp

        use = list(provider.transformer.use) if provider.transformer else []
        if isinstance(provider.auth, HeaderAuth):
            t_name = provider.auth.transformer or name
            file_name = _unique(transformer_file_name(name), out.files)
            out.files[file_name] = _render_header_auth(name, t_name, provider.auth)
            origins[("transformers", len(transformers))] = sp + ("auth",)
            origins[("transformers", len(transformers), "path")] = sp + ("auth",)
            transformers.append({"path": str(transformer_dir / file_name)})
            if t_name not in [u if isinstance(u, str) else u[0] for u in use]:
                use.append(t_name)
        chain: dict = {}
        if use:
            chain["use"] = [_use_entry(u) for u in use]
            origins[("Providers", p_index, "transformer", "use")] = sp + ("transformer", "use") \
                if provider.transformer and provider.transformer.use else sp + ("auth",)
        if provider.transformer:
            for model, per_model in provider.transformer.models.items():
                chain[model] = {"use": [_use_entry(u) for u in per_model.use]}
                origins[("Providers", p_index, "transformer", model)] = sp + ("transformer", "models", model)
        if chain:
            entry["transformer"] = chain
        if provider.tokenizer is not None:
            entry["tokenizer"] = provider.tokenizer
        for key, value in provider.extra.items():
            entry[key] = value
            origins[("Providers", p_index, key)] = sp + ("extra", key)
        providers.append(entry)

    if transformers:
        cfg["transformers"] = transformers
    cfg["Providers"] = providers
    origins[("Providers",)] = ("providers",)

    router: dict = {}
    for spec_key, ccr_key in ROUTE_KEYS.items():
        value = getattr(spec.routes, spec_key)
        if value is not None:
            router[ccr_key] = value
            origins[("Router", ccr_key)] = ("routes", spec_key)
    for key, value in spec.routes.extra.items():
        router[key] = value
        origins[("Router", key)] = ("routes", "extra", key)
    cfg["Router"] = router
    origins[("Router",)] = ("routes",)

    if spec.fallback:
        cfg["fallback"] = {k: list(v) for k, v in spec.fallback.items()}
        for route, chain_list in spec.fallback.items():
            origins[("fallback", route)] = ("fallback", route)
            for i in range(len(chain_list)):
                origins[("fallback", route, i)] = ("fallback", route, i)
    for key, value in spec.extra.items():
        cfg[key] = value
        origins[(key,)] = ("extra", key)
    return out


def _unique(file_name: str, taken) -> str:
    """`file_name`, or `<stem>-2.js`, `-3`... when another provider's file has that name
    (provider names that differ only in case or punctuation slug to the same file)."""
    stem, n, candidate = file_name[: -len(".js")], 1, file_name
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}.js"
    return candidate


def _use_entry(entry):
    return entry if isinstance(entry, str) else [entry[0], entry[1]]


def _render_header_auth(provider: str, name: str, auth: HeaderAuth) -> str:
    class_name = re.sub(r"[^A-Za-z0-9_$]", "", name.title().replace("-", "").replace("_", "")) or "Provider"
    if class_name[0].isdigit():
        class_name = "P" + class_name
    return _jinja().get_template(HEADER_AUTH_TEMPLATE).render(
        ccrgen_version=__version__, provider=provider, name=name, class_name=class_name + "Transformer",
        header=auth.header, prefix=auth.prefix,
    )


_ENV = None


def _jinja():
    global _ENV
    if _ENV is None:
        import jinja2

        from ccrgen.common.resources import data_dir

        _ENV = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            autoescape=False,
        )
        # JavaScript-safe JSON: also escape </script>-style and line separators.
        _ENV.policies["json.dumps_kwargs"] = {"ensure_ascii": True, "sort_keys": True}
    return _ENV
