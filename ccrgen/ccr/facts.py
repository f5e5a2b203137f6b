"""What CCR 2.0.0 knows and does, as data (see shared/ccr-2.0.0-facts.md).

Kept in one place so that lint, doctor, render and the proxy agree on it.
"""

from __future__ import annotations

CCR_VERSION = "2.0.0"
CCR_NPM_PACKAGE = "@musistudio/claude-code-router"
CLAUDE_NPM_PACKAGE = "@anthropic-ai/claude-code"

DEFAULT_PORT = 3456
DEFAULT_HOST = "127.0.0.1"
DEFAULT_LONG_CONTEXT_THRESHOLD = 60000
DEFAULT_API_TIMEOUT_MS = 600000
LOG_LEVELS = ("fatal", "error", "warn", "info", "debug", "trace")

CONFIG_DIR_NAME = ".claude-code-router"
CONFIG_FILE_NAME = "config.json"
PID_FILE_NAME = ".claude-code-router.pid"
BACKUPS_KEPT = 3

# Transformer names CCR 2.0.0 registers itself, exact spelling.
BUILTIN_TRANSFORMERS = frozenset({
    "Anthropic", "OpenAI", "cerebras", "cleancache", "customparams", "deepseek",
    "enhancetool", "forcereasoning", "gemini", "groq", "maxcompletiontokens", "maxtoken",
    "openai-responses", "openrouter", "reasoning", "sampling", "streamoptions", "tooluse",
    "vercel", "vertex-claude", "vertex-gemini",
})

# Built-ins CCR 2.0.0 registers as an instance (`name = ...`), not as a class (`static
# TransformerName`): `[NAME, {options}]` in a `use` list makes CCR call `new` on the instance,
# which throws, and the whole provider is left unregistered ("provider registered error").
INSTANCE_BUILTINS = frozenset({
    "Anthropic", "OpenAI", "cerebras", "cleancache", "deepseek", "enhancetool", "forcereasoning",
    "gemini", "groq", "openai-responses", "streamoptions", "tooluse", "vertex-claude", "vertex-gemini",
})

# Top-level keys CCR 2.0.0 reads. Others are kept and ignored.
KNOWN_TOP_LEVEL_KEYS = (
    "LOG", "LOG_LEVEL", "HOST", "PORT", "APIKEY", "API_TIMEOUT_MS", "PROXY_URL",
    "NON_INTERACTIVE_MODE", "CUSTOM_ROUTER_PATH", "REWRITE_SYSTEM_PROMPT", "transformers",
    "Providers", "providers", "Router", "fallback", "StatusLine", "plugins", "forceUseImageAgent",
)

# Router keys that name a "provider,model" route, in CCR's order.
ROUTE_NAMES = ("default", "background", "think", "longContext", "webSearch", "image")
FALLBACK_ROUTES = ("default", "background", "think", "longContext", "webSearch")

# Only these keys are read from the server layer's interpolated copy of the config; the
# core re-reads everything else (transformers, Router, PROXY_URL...) straight from the file.
INTERPOLATED_KEYS = ("Providers", "providers", "APIKEY", "HOST", "PORT")

# Keys CCR reads straight from the file, where `$NAME` stays literal text.
UNINTERPOLATED_KEYS = ("transformers", "Router", "fallback", "PROXY_URL", "API_TIMEOUT_MS",
                       "CUSTOM_ROUTER_PATH", "REWRITE_SYSTEM_PROMPT", "LOG", "LOG_LEVEL",
                       "NON_INTERACTIVE_MODE")
