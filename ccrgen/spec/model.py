"""The ccrgen spec: what a user writes in ccrgen.yaml, as pydantic models.

Short for the common case (a provider is a base URL, a key and a list of models; a route
is "provider,model") and complete for the rare one: every key CCR 2.0.0 reads has a place,
and `extra:` passes through anything ccrgen does not model, at the top level, in a
provider and in the router.

The JSON Schema in schemas/ccrgen.schema.json is generated from these models
(`ccrgen schema`); tests fail when the committed file is stale.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

LOG_LEVELS = ("fatal", "error", "warn", "info", "debug", "trace", "silent")  # pino's, as CCR reads them


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ModelInfo(_Strict):
    """What ccrgen knows about a model. Not written to config.json; used by lint and smoke."""

    context_window: int | None = Field(None, gt=0, description="Input tokens the model accepts")
    max_output: int | None = Field(None, gt=0, description="Output tokens the model can produce")
    vision: bool | None = Field(None, description="Accepts image input")
    reasoning: bool | None = Field(None, description="Supports extended thinking / reasoning")
    web_search: bool | None = Field(None, description="Can run web searches itself")
    tools: bool | None = Field(None, description="Supports tool calls")
    cost_input: float | None = Field(None, ge=0, description="USD per million input tokens")
    cost_output: float | None = Field(None, ge=0, description="USD per million output tokens")
    description: str | None = None


# A transformer in a `use` list: "name", or ["name", {options}] as CCR writes it.
UseEntry = Union[str, tuple[str, dict[str, Any]]]


def _options_paired(value):
    """`use: [maxtoken, {max_tokens: 8192}]` reads as two entries, the second an options object
    on its own (CCR drops it: maxtoken runs without max_tokens). Say so, not "not a string"."""
    if not isinstance(value, list):
        return value
    for i, entry in enumerate(value):
        if isinstance(entry, dict):
            name = value[i - 1] if i and isinstance(value[i - 1], str) else None
            options = _flow(entry)
            fixed = [_flow(e) for e in value[: i - 1 if name else i]] + [f"[{name or 'NAME'}, {options}]"]
            fixed += [_flow(e) for e in value[i + 1:]]
            raise ValueError(f"use[{i}] is an options object on its own ({options}): CCR drops it"
                             + (f" and runs {name} without it" if name else "")
                             + f"; pair it with its transformer: use: [{', '.join(fixed)}]")
    return value


def _flow(value) -> str:
    """A value as YAML flow style writes it, for messages."""
    import json

    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return value if isinstance(value, str) else json.dumps(value)


class TransformerChain(_Strict):
    use: list[UseEntry] = Field(default_factory=list)

    _paired = field_validator("use", mode="before")(_options_paired)


class ProviderTransformers(_Strict):
    """A provider's transformers: `use` for every model, `models` for per-model chains."""

    use: list[UseEntry] = Field(default_factory=list)
    models: dict[str, TransformerChain] = Field(
        default_factory=dict, description="Per-model transformer chains, keyed by model name"
    )

    _paired = field_validator("use", mode="before")(_options_paired)


class HeaderAuth(_Strict):
    """Send the key in a header of its own and remove `Authorization` (Hicap's `api-key`).

    ccrgen renders a transformer for it from templates/header-auth-transformer.js.j2,
    registers it in `transformers` with an absolute path and adds it to the provider's `use`.
    """

    header: str = Field(min_length=1, description="Header that carries the key, e.g. api-key")
    prefix: str = Field("", description="Text put before the key in the header value")
    transformer: str | None = Field(
        None, description="Name the transformer registers under (default: the provider name)"
    )


class Provider(_Strict):
    base_url: str = Field(description="The full endpoint URL (CCR's api_base_url)")
    api_key: str = Field(description="The key, best as an environment reference: $NAME")
    models: dict[str, ModelInfo] = Field(
        description="Model names, as a list or as a map of name -> metadata"
    )
    auth: Literal["bearer"] | HeaderAuth = Field(
        "bearer", description="bearer (Authorization: Bearer KEY, CCR's default) or a header"
    )
    transformer: ProviderTransformers | None = None
    tokenizer: dict[str, Any] | None = Field(None, description="CCR's provider tokenizer block")
    extra: dict[str, Any] = Field(default_factory=dict, description="Provider keys passed through")

    @field_validator("auth", mode="before")
    @classmethod
    def _auth_kind(cls, value: Any) -> Any:
        if isinstance(value, str) and value != "bearer":
            raise ValueError(f"auth must be 'bearer' or a map such as {{header: api-key}} (got '{value}')")
        if value is not None and not isinstance(value, (str, dict, HeaderAuth)):
            raise ValueError("auth must be 'bearer' or a map such as {header: api-key}")
        return value

    @field_validator("models", mode="before")
    @classmethod
    def _list_of_names(cls, value: Any) -> Any:
        if isinstance(value, list):
            if not all(isinstance(m, str) for m in value):
                return value  # let pydantic report the type error
            return {name: {} for name in value}
        if isinstance(value, dict):
            return {k: ({} if v is None else v) for k, v in value.items()}
        return value

    @field_validator("models")
    @classmethod
    def _model_names(cls, value: dict[str, ModelInfo]) -> dict[str, ModelInfo]:
        for name in value:
            if not name:
                raise ValueError("a model name cannot be empty")
            if "," in name:
                raise ValueError(
                    f"model name '{name}' contains a comma: CCR splits routes on the first comma"
                )
        return value


ROUTE_KEYS = {
    # spec name -> CCR Router key
    "default": "default",
    "background": "background",
    "think": "think",
    "long_context": "longContext",
    "long_context_threshold": "longContextThreshold",
    "web_search": "webSearch",
    "image": "image",
}


class Routes(_Strict):
    """Which "provider,model" serves each kind of request (CCR's `Router`)."""

    default: str | None = Field(None, description="General requests")
    background: str | None = Field(None, description="Requests for a claude haiku model")
    think: str | None = Field(None, description="Requests with `thinking` set")
    long_context: str | None = Field(None, description="Requests over the threshold")
    long_context_threshold: int | None = Field(
        None, gt=0, description="Token count above which long_context is used (CCR: 60000)"
    )
    web_search: str | None = Field(None, description="Requests carrying a web_search tool")
    image: str | None = Field(None, description="Image agent model; empty string disables it")
    extra: dict[str, Any] = Field(default_factory=dict, description="Router keys passed through")


# A whole value that is one environment reference, as CCR 2.0.0 interpolates it: ${ANY} or
# $UPPER_CASE (CCR interpolates PORT; an imported `"PORT": "$CCR_PORT"` stays a reference).
EnvReference = Annotated[str, StringConstraints(pattern=r"^(\$\{[^}]+\}|\$[A-Z_][A-Z0-9_]*)$")]


class Server(_Strict):
    """CCR's own settings: where it listens, its API key, timeouts and logging."""

    host: str | None = Field(None, description="HOST")
    port: Annotated[int, Field(ge=1, le=65535)] | EnvReference | None = Field(
        None, description="PORT (CCR: 3456), or an environment reference CCR interpolates ($NAME, ${NAME})"
    )
    api_key: str | None = Field(None, description="APIKEY clients must send")
    timeout_ms: int | None = Field(None, gt=0, description="API_TIMEOUT_MS")
    log: bool | None = Field(None, description="LOG")
    log_level: Literal[LOG_LEVELS] | None = Field(None, description="LOG_LEVEL")  # type: ignore[valid-type]
    proxy_url: str | None = Field(None, description="PROXY_URL")
    non_interactive: bool | None = Field(None, description="NON_INTERACTIVE_MODE")
    custom_router_path: str | None = Field(None, description="CUSTOM_ROUTER_PATH")
    rewrite_system_prompt: str | None = Field(None, description="REWRITE_SYSTEM_PROMPT")
    @field_validator("port", mode="wrap")
    @classmethod
    def _one_port_error(cls, value: Any, handler):
        """One message for a bad port (the number's), not one per kind of value it may be."""
        from pydantic import ValidationError
        from pydantic_core import PydanticCustomError

        try:
            return handler(value)
        except ValidationError as exc:
            errors = exc.errors()
            if isinstance(value, str) and value.startswith("$"):
                raise PydanticCustomError(
                    "port_reference", "'{value}' is not an environment reference CCR interpolates "
                    "($UPPER_CASE or ${NAME})", {"value": value}) from None
            first = next((e for e in errors if "int" in str(e["loc"][:1])), errors[0])
            raise PydanticCustomError(first["type"], first["msg"]) from None

    take_over_claude_code: bool | None = Field(
        None, description="CCR 3.x only: let CCR rewrite ~/.claude/settings.json (its `profile`); default off"
    )


SERVER_KEYS = {
    "log": "LOG",
    "log_level": "LOG_LEVEL",
    "host": "HOST",
    "port": "PORT",
    "api_key": "APIKEY",
    "timeout_ms": "API_TIMEOUT_MS",
    "proxy_url": "PROXY_URL",
    "non_interactive": "NON_INTERACTIVE_MODE",
    "custom_router_path": "CUSTOM_ROUTER_PATH",
    "rewrite_system_prompt": "REWRITE_SYSTEM_PROMPT",
}


class CustomTransformer(_Strict):
    """A transformer file of your own: CCR's `transformers: [{path, options}]`."""

    path: str = Field(description="Absolute path of the .js file (CCR does not expand ~)")
    options: dict[str, Any] | None = None
    name: str | None = Field(
        None, description="The name it registers under, so lint can check `use` lists "
                          "(written to config.json as a label; CCR reads the name from the file)"
    )
    extra: dict[str, Any] = Field(
        default_factory=dict, description="Other entry keys passed through (CCR ignores them)"
    )

    @field_validator("extra")
    @classmethod
    def _extra_keys_do_not_shadow(cls, value: dict[str, Any]) -> dict[str, Any]:
        clash = sorted(k for k in value if k in ("path", "options"))
        if clash:
            raise ValueError(f"{', '.join(clash)} has a place of its own in the entry; set it there")
        return value


class LintSettings(_Strict):
    ignore: list[str] = Field(default_factory=list, description="Rule codes not reported")


class Spec(_Strict):
    """A ccrgen spec. Top-level keys are all optional; `extends` pulls in presets."""

    schema_: str | None = Field(None, alias="$schema")
    extends: list[str] = Field(
        default_factory=list, description="Presets (by name) or spec files this one builds on"
    )
    description: str | None = Field(None, description="One line shown by `ccrgen preset list`")
    server: Server = Field(default_factory=Server)
    providers: dict[str, Provider] = Field(default_factory=dict)
    routes: Routes = Field(default_factory=Routes)
    fallback: dict[str, list[str]] = Field(
        default_factory=dict, description="Route name -> 'provider,model' list tried on errors"
    )
    transformers: list[CustomTransformer] = Field(default_factory=list)
    extra: dict[str, Any] = Field(
        default_factory=dict, description="Top-level config.json keys passed through as they are"
    )
    lint: LintSettings = Field(default_factory=LintSettings)

    @field_validator("extends", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("providers")
    @classmethod
    def _provider_names(cls, value: dict[str, Provider]) -> dict[str, Provider]:
        for name in value:
            if not name or "," in name:
                raise ValueError(f"provider name '{name}' must be non-empty and contain no comma")
        return value

    @field_validator("extra")
    @classmethod
    def _extra_keys_do_not_shadow(cls, value: dict[str, Any]) -> dict[str, Any]:
        modelled = set(SERVER_KEYS.values()) | {"Providers", "providers", "Router", "transformers", "fallback"}
        clash = sorted(k for k in value if k in modelled)
        if clash:
            raise ValueError(f"{', '.join(clash)} has a place of its own in the spec; set it there")
        return value
