"""What ccrgen knows about each provider: how it authenticates, where its endpoints are, which
CCR transformers requests to it need, and what its real server rejects.

One registry, plain data, read by the mock upstream (to answer as the provider would),
`smoke` (to judge the headers that left) and lint (`known_provider`: endpoints, required
transformers, web search suffixes). Only facts stated by the providers' own docs or CCR's
README, or seen in CCR issues. Every bundled preset (`presets/*.yaml`) has a profile here;
`provider_profile(name, base_url)` finds one by the base URL's host first (the host is what
really answers), then by the provider's name, else gives the generic OpenAI-compatible
profile (a Bearer token). The auth is the one of the API the base URL is on: a provider's
native API (Gemini's generateContent takes `x-goog-api-key`) may take another header than its
OpenAI-compatible endpoint.

Import cost matters (lint reads this on every run): standard library only.

    >>> provider_profile("my-proxy", "https://api.hicap.ai/v1/chat/completions").name
    'hicap'
    >>> provider_profile("hicap", "http://127.0.0.1:9999/v1/chat/completions").auth.header
    'api-key'
    >>> provider_profile("acme", "https://llm.acme.test/v1/chat/completions").known
    False

Auth is judged on the headers that reached the upstream (`auth_problem`, `auth_warnings`);
a key that is still a literal `$NAME` (an environment variable CCR never interpolated)
counts as no key, since the real server answers 401 to it.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping, Sequence
from urllib.parse import urlparse

from ccrgen.common.secrets import is_reference
from ccrgen.common.values import Frozen

AUTHORIZATION = "authorization"
BEARER = "Bearer "

_REQUIRED = object()


class _Record(Frozen):
    """A frozen record, as a frozen dataclass behaves (fields by position or name, compared
    and hashed as a tuple, `replace` for a changed copy; ccrgen.common.values), without the
    millisecond a dataclass takes to create: lint imports this module on every run.
    `_FIELDS` lists (name, default) pairs in the order of `__slots__`; a default that is a
    type (dict) is called for each instance."""

    __slots__ = ()
    _FIELDS: tuple = ()

    def __init__(self, *args, **kwargs) -> None:
        fields = self._FIELDS
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__}() takes at most {len(fields)} arguments")
        for i, (name, default) in enumerate(fields):
            if i < len(args):
                if name in kwargs:
                    raise TypeError(f"{type(self).__name__}() got two values for {name!r}")
                value = args[i]
            elif name in kwargs:
                value = kwargs.pop(name)
            elif default is _REQUIRED:
                raise TypeError(f"{type(self).__name__}() is missing {name!r}")
            else:
                value = default() if isinstance(default, type) else default
            object.__setattr__(self, name, value)
        if kwargs:  # every known one was taken
            raise TypeError(f"{type(self).__name__}() got an unexpected argument {next(iter(kwargs))!r}")


def replace(record: _Record, **changes) -> _Record:
    """A copy of `record` with `changes` (as dataclasses.replace)."""
    values = {name: getattr(record, name) for name, _ in record._FIELDS}
    values.update(changes)
    return type(record)(**values)


class Auth(_Record):
    """How a provider takes its key."""

    _FIELDS = (
        ("header", AUTHORIZATION),      # the header that carries the key (lower case)
        ("prefix", BEARER),             # text before the key in that header
        ("required", True),             # False: the server takes any key or none (a local Ollama)
        ("unwanted", ()),               # headers that should not be sent along (a warning, not a 401)
    )
    __slots__ = tuple(name for name, _ in _FIELDS)

    @property
    def described(self) -> str:
        """`api-key: <key>` / `Authorization: Bearer <key>`, for messages."""
        return f"{header_title(self.header)}: {self.prefix}<key>"


def header_title(header: str) -> str:
    """`Authorization` as people write it; other headers as the provider names them."""
    return "Authorization" if header == AUTHORIZATION else header


class AuthProblem(_Record):
    """Why the real server would answer 401 to the headers it got."""

    _FIELDS = (
        ("header", _REQUIRED),          # the header the provider reads
        ("reason", _REQUIRED),          # "missing", "empty", "literal" or "scheme"
        ("literal", None),              # the `$NAME` text that arrived, for reason "literal"
    )
    __slots__ = tuple(name for name, _ in _FIELDS)

    @property
    def message(self) -> str:
        header = header_title(self.header)
        if self.reason == "missing":
            return f"no {header} header"
        if self.reason == "empty":
            return f"the {header} header is empty"
        if self.reason == "scheme":
            return f"the {header} header is not a Bearer token"
        return (f"the {header} header is the literal text `{self.literal}` "
                "(an environment variable that was never interpolated)")


class ProviderProfile(_Record):
    """One provider, as data. `known` is False for the generic profile of an unknown provider."""

    _FIELDS = (
        ("name", _REQUIRED),                    # registry key (= the bundled preset's name)
        ("title", _REQUIRED),                   # how people write it: "Hicap"
        ("hosts", _REQUIRED),                   # host names (a suffix matches subdomains), host:port
        ("auth", _REQUIRED),                    # Auth, on its OpenAI-compatible endpoint
        ("endpoint", _REQUIRED),                # the chat-completions path on its host
        ("api", "openai-chat"),                 # the request shape it takes
        ("preset", None),                       # the bundled preset that sets it up
        # REQUIRED: transformers without which requests to its chat endpoint fail (lint CCR048)
        ("requires", ()),
        # what the bundled preset uses (whole provider / per model): a choice, not a requirement
        ("transformers", ()),
        ("model_transformers", dict),           # model -> transformer names
        ("native", None),                       # the URL prefix of its own API, if it has one
        ("native_transformer", None),           # the CCR transformer that speaks that API
        ("native_auth", None),                  # how that API takes the key (None: as `auth`)
        ("web_search_suffix", None),            # what a model name needs for web search
        ("rejects", ()),                        # what its real server refuses, in words
        ("known", True),
    )
    __slots__ = tuple(name for name, _ in _FIELDS)

    @property
    def label(self) -> str:
        return self.title

    def chat_url(self, url: str) -> str:
        """Its OpenAI-compatible chat completions URL on the host `url` names (one of its hosts)."""
        parts = urlparse(str(url))
        netloc = parts.netloc.rpartition("@")[2].lower()
        local = any(":" in pattern for pattern in self.hosts)
        return f"{'http' if local else 'https'}://{netloc if local else (parts.hostname or '')}{self.endpoint}"

    def is_native(self, url: str) -> bool:
        """Whether `url` is on its native API (the one `native_transformer` speaks)."""
        return bool(self.native) and str(url).split("?", 1)[0].startswith(self.native.rstrip("/"))

    def auth_problem(self, headers: Mapping[str, str]) -> AuthProblem | None:
        """None when the real server would accept these headers' auth, else why not.
        `headers` may have any case; values as they arrived."""
        if not self.auth.required:
            return None
        lowered = {str(k).lower(): str(v) for k, v in headers.items()}
        header = self.auth.header
        if header not in lowered:
            return AuthProblem(header, "missing")
        value = lowered[header]
        if self.auth.prefix:
            if value.strip() and not value.lower().startswith(self.auth.prefix.lower()):
                return AuthProblem(header, "scheme")
            value = value[len(self.auth.prefix):]
        value = value.strip()
        if not value:
            return AuthProblem(header, "empty")
        if is_reference(value):
            return AuthProblem(header, "literal", value)
        return None

    def auth_warnings(self, headers: Mapping[str, str]) -> list[str]:
        """Headers that were sent although this provider does not take them."""
        lowered = {str(k).lower() for k in headers}
        out = []
        for header in self.auth.unwanted:
            if header in lowered:
                shown = "Authorization: Bearer" if header == AUTHORIZATION else header
                out.append(f"{shown} was sent to {self.title} too, which takes the key only in "
                           f"`{self.auth.header}` (a header transformer such as the setup guide's removes it)")
        return out

    def error_body(self, problem: AuthProblem) -> dict:
        """The 401 body its server answers, in OpenAI's error format."""
        return {"error": {"message": f"{self.title}: {problem.message}; send {self.auth.described}",
                          "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}


def _bearer_rejects(variable: str) -> tuple[str, ...]:
    return ("a request without `Authorization: Bearer <key>`, or with an empty key (401)",
            f"a literal `${variable}` as the key (401)")


def _openai_compatible(name: str, title: str, host: str, endpoint: str, variable: str,
                       hosts: tuple[str, ...] = ()) -> ProviderProfile:
    """A provider known only by its OpenAI-compatible endpoint, with a Bearer token."""
    return ProviderProfile(name=name, title=title, hosts=(host, *hosts), auth=Auth(), endpoint=endpoint,
                           rejects=_bearer_rejects(variable))


GEMINI_NATIVE = "https://generativelanguage.googleapis.com/v1beta/models/"
ANTHROPIC_NATIVE = "https://api.anthropic.com/v1/messages"

_PROFILES = (
    ProviderProfile(
        name="hicap", title="Hicap", hosts=("hicap.ai",), preset="hicap",
        auth=Auth(header="api-key", prefix="", unwanted=(AUTHORIZATION,)),
        endpoint="/v1/chat/completions",
        rejects=("a request without an `api-key` header, or with an empty one (401)",
                 "a literal `$HICAP_API_KEY` as the key (401)",
                 "Authorization: Bearer alone: the key is read only from `api-key` (401)"),
    ),
    ProviderProfile(
        name="openrouter", title="OpenRouter", hosts=("openrouter.ai",), preset="openrouter",
        auth=Auth(), endpoint="/api/v1/chat/completions", transformers=("openrouter",),
        web_search_suffix=":online",
        rejects=("a request without `Authorization: Bearer <key>`, or with an empty key (401)",
                 "a literal `$OPENROUTER_API_KEY` as the key (401)"),
    ),
    ProviderProfile(
        name="deepseek", title="DeepSeek", hosts=("api.deepseek.com",), preset="deepseek",
        auth=Auth(), endpoint="/chat/completions", requires=("deepseek",), transformers=("deepseek",),
        model_transformers=MappingProxyType({"deepseek-chat": ("tooluse",)}),
        rejects=("a request without `Authorization: Bearer <key>`, or with an empty key (401)",
                 "a literal `$DEEPSEEK_API_KEY` as the key (401)",
                 "max_tokens above 8192 for deepseek-chat (400)"),
    ),
    ProviderProfile(
        name="ollama", title="Ollama", hosts=("localhost:11434", "127.0.0.1:11434", "[::1]:11434"),
        preset="ollama", auth=Auth(required=False), endpoint="/v1/chat/completions",
        rejects=("nothing about auth: a local Ollama ignores the key (CCR still needs a non-empty "
                 "api_key, or it drops the provider)",
                 "a model that was not pulled (404)"),
    ),
    ProviderProfile(
        name="gemini", title="Gemini", hosts=("generativelanguage.googleapis.com",), auth=Auth(),
        endpoint="/v1beta/openai/chat/completions", native=GEMINI_NATIVE, native_transformer="gemini",
        native_auth=Auth(header="x-goog-api-key", prefix=""),
        rejects=("on the native API (`.../v1beta/models/`): a request without `x-goog-api-key`, "
                 "or with an empty or literal `$GEMINI_API_KEY` key (401)",
                 "on the OpenAI-compatible endpoint: one without `Authorization: Bearer <key>` (401)"),
    ),
    ProviderProfile(
        # Its Messages API takes the key in `x-api-key` (a Bearer token there is read as an
        # OAuth token and refused); its OpenAI SDK compatibility endpoint takes a Bearer key.
        name="anthropic", title="Anthropic", hosts=("api.anthropic.com",), auth=Auth(),
        endpoint="/v1/chat/completions", native=ANTHROPIC_NATIVE, native_transformer="Anthropic",
        native_auth=Auth(header="x-api-key", prefix=""),
        rejects=("on the Messages API (`/v1/messages`): a request without `x-api-key`, or with an "
                 "empty or literal `$ANTHROPIC_API_KEY` key (401)",
                 "on the Messages API: a body in OpenAI's chat format (a `system` or `tool` role "
                 "message), as CCR sends without the Anthropic transformer (400)",
                 "on the OpenAI-compatible endpoint: one without `Authorization: Bearer <key>` (401)"),
    ),
    _openai_compatible("openai", "OpenAI", "api.openai.com", "/v1/chat/completions", "OPENAI_API_KEY"),
    _openai_compatible("groq", "Groq", "api.groq.com", "/openai/v1/chat/completions", "GROQ_API_KEY"),
    _openai_compatible("mistral", "Mistral", "api.mistral.ai", "/v1/chat/completions", "MISTRAL_API_KEY"),
    _openai_compatible("xai", "xAI", "api.x.ai", "/v1/chat/completions", "XAI_API_KEY"),
    _openai_compatible("cerebras", "Cerebras", "api.cerebras.ai", "/v1/chat/completions", "CEREBRAS_API_KEY"),
    _openai_compatible("moonshot", "Moonshot", "api.moonshot.cn", "/v1/chat/completions", "MOONSHOT_API_KEY",
                       hosts=("api.moonshot.ai",)),
    _openai_compatible("siliconflow", "SiliconFlow", "api.siliconflow.cn", "/v1/chat/completions",
                       "SILICONFLOW_API_KEY"),
    _openai_compatible("modelscope", "ModelScope", "api-inference.modelscope.cn", "/v1/chat/completions",
                       "MODELSCOPE_API_KEY"),
    _openai_compatible("dashscope", "DashScope", "dashscope.aliyuncs.com", "/compatible-mode/v1/chat/completions",
                       "DASHSCOPE_API_KEY", hosts=("dashscope-intl.aliyuncs.com",)),
    _openai_compatible("volcengine", "Volcengine Ark", "ark.cn-beijing.volces.com", "/api/v3/chat/completions",
                       "ARK_API_KEY"),
    _openai_compatible("zhipu", "Zhipu", "open.bigmodel.cn", "/api/paas/v4/chat/completions", "ZHIPU_API_KEY"),
    _openai_compatible("zai", "Z.ai", "api.z.ai", "/api/paas/v4/chat/completions", "ZAI_API_KEY"),
)

PROFILES: Mapping[str, ProviderProfile] = MappingProxyType({p.name: p for p in _PROFILES})

GENERIC = ProviderProfile(
    name="unknown", title="an OpenAI-compatible provider", hosts=(), auth=Auth(),
    endpoint="/v1/chat/completions", known=False,
    rejects=("a request without `Authorization: Bearer <key>`, or with an empty key (401)",
             "a literal `$NAME` as the key (401)"),
)


def _host_matches(netloc: str, hostname: str, pattern: str) -> bool:
    if ":" in pattern:  # host:port
        return netloc == pattern
    return hostname == pattern or hostname.endswith("." + pattern)


def profile_by_host(base_url: str) -> ProviderProfile | None:
    """The profile whose server is at `base_url`'s host, or None."""
    try:
        parts = urlparse(str(base_url or ""))
        hostname = (parts.hostname or "").lower()
        netloc = parts.netloc.rpartition("@")[2].lower()
    except ValueError:
        return None
    if not hostname:
        return None
    for profile in _PROFILES:
        if any(_host_matches(netloc, hostname, pattern) for pattern in profile.hosts):
            return profile
    return None


def provider_profile(name: str, base_url: str, uses: Sequence = ()) -> ProviderProfile:
    """The profile of the provider called `name` (as in config.json) at `base_url`: by
    the URL's host first, then by name (case-insensitively), else the generic one, whose
    auth is what the provider's `use` list (`uses`, entries as in config.json) makes CCR
    send (`Anthropic`: x-api-key, `gemini`: x-goog-api-key), else a Bearer token. The
    generic profile carries the provider's own name as its `title`."""
    by_host = profile_by_host(base_url)
    if by_host is not None:
        return _on_its_api(by_host, str(base_url), uses)
    by_name = PROFILES.get(str(name or "").strip().lower())
    if by_name is not None:
        return by_name
    generic = replace(GENERIC, auth=auth_of_chain(uses))
    return generic if not name else replace(generic, title=f"provider '{name}'")


def known_provider(url) -> ProviderProfile | None:
    """The registry's profile of the provider whose server is at `url`'s host (lint's view:
    facts about that host, whatever the provider is called), or None."""
    return profile_by_host(url.strip()) if isinstance(url, str) else None


def _on_its_api(profile: ProviderProfile, base_url: str, uses: Sequence) -> ProviderProfile:
    """The profile with the auth of the API `base_url` is on: its native API's, or, on another
    path of its host that a transformer setting its own auth calls (an Anthropic-style
    endpoint), what that transformer sends; else its chat endpoint's."""
    if profile.is_native(base_url):
        return replace(profile, auth=profile.native_auth or profile.auth)
    path = urlparse(base_url).path.rstrip("/")
    if _sets_auth(uses) and not path.endswith(profile.endpoint):
        return replace(profile, auth=auth_of_chain(uses))
    return profile


def _sets_auth(uses: Sequence) -> bool:
    names = (entry[0] if isinstance(entry, list) and entry else entry for entry in uses or ())
    return any(isinstance(name, str) and name in CHAIN_AUTH for name in names)


# Built-in CCR 2.0.0 transformers that set the auth header themselves (their `auth` or
# transformRequestIn, read in CCR's dist/cli.js): name -> (header, prefix), and the option
# that switches Anthropic to a Bearer token.
CHAIN_AUTH = MappingProxyType({"Anthropic": ("x-api-key", ""), "gemini": ("x-goog-api-key", "")})


def auth_of_chain(uses: Sequence) -> Auth:
    """The auth CCR sends for a provider whose `use` list is `uses` (the last transformer
    that sets it wins, as in CCR); a Bearer token when none does."""
    auth = Auth()
    for entry in uses or ():
        name = entry[0] if isinstance(entry, list) and entry else entry
        options = entry[1] if isinstance(entry, list) and len(entry) > 1 and isinstance(entry[1], dict) else {}
        if name == "Anthropic" and options.get("UseBearer"):
            auth = Auth()
        elif isinstance(name, str) and name in CHAIN_AUTH:
            header, prefix = CHAIN_AUTH[name]
            auth = Auth(header=header, prefix=prefix)
    return auth
