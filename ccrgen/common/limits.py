"""Every size limit ccrgen enforces, in one place (documented in the README): a flat
module of named constants, one comment each. Nothing here imports anything."""

MAX_NESTING_DEPTH = 128                      # deepest JSON/YAML nesting accepted in any input (objects + arrays)
MAX_INPUT_FILE_BYTES = 16 * 1024 * 1024     # largest spec, config.json, request or transformer file ccrgen reads
MAX_YAML_ALIAS_VALUES = 100_000              # values a spec may get through YAML aliases (*name) in total: stops "billion laughs"
MAX_REQUEST_BYTES = 64 * 1024 * 1024         # largest request body `ccrgen serve` accepts (decompressed): 413 above
MAX_UPSTREAM_BODY_BYTES = 16 * 1024 * 1024   # largest (decompressed) non-streamed provider answer: 502 above
MAX_UPSTREAM_ERROR_BYTES = 64 * 1024         # how much of a provider's error body is read for its message
MAX_SSE_EVENT_BYTES = 4 * 1024 * 1024        # largest single event in a provider's stream: the stream ends with an error
MAX_SESSIONS_TRACKED = 100                   # sessions whose last usage `serve` remembers: an LRU of 100, as CCR 2.0.0's
MAX_ROUTE_CACHE_ENTRIES = 1_024              # (provider, model) pairs whose auth headers and steps `serve` caches
SERVE_STOP_SECONDS = 2.0                     # how long `serve` (and its mock) wait for requests in flight when stopped; aiohttp's default is 60 s
