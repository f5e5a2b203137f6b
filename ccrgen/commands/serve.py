"""`ccrgen serve`: the built-in proxy, routing like CCR 2.0.0, until Ctrl-C."""

from __future__ import annotations

import click

from ccrgen.commands.options import config_file_option, load_source, preset_option, spec_argument


@click.command("serve")
@spec_argument
@config_file_option
@preset_option
@click.option("--host", default=None, help="Address to listen on (default: the config's HOST, else 127.0.0.1).")
@click.option("--port", default=None, type=click.IntRange(0, 65535),
              help="Port (default: the config's PORT, else 3456; 0: any free port).")
@click.option("--mock-upstream", is_flag=True,
              help="Send every provider's requests to the built-in mock instead: works offline.")
@click.option("--ready-file", type=click.Path(dir_okay=False), help="Write the proxy's URL here once listening.")
def command(spec, config_file, preset, host, port, mock_upstream, ready_file):
    """Serve the Anthropic Messages API on HOST:PORT, route each request as CCR 2.0.0
    would with SPEC (default ./ccrgen.yaml), --config FILE or --preset NAME, and forward it
    to the provider as an OpenAI chat completion.

    \b
    Then: ANTHROPIC_BASE_URL=http://127.0.0.1:3456 ANTHROPIC_AUTH_TOKEN=<APIKEY> claude
    Each response says where it went in `x-ccrgen-route` and `x-ccrgen-model`.
    """
    import asyncio
    import sys
    from pathlib import Path

    from ccrgen.common import signals
    from ccrgen.errors import ExternalError, WriteError
    from ccrgen.proxy.server import Proxy

    loaded = load_source(spec, config_file, preset)
    if ready_file:  # before listening: a client must never wait for a file that cannot appear
        _check_ready_folder(Path(ready_file))

    def log(line: str) -> None:  # one line per request: kept cheap (no click.echo)
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    proxy = Proxy(loaded, host=host, port=port, mock_upstream=mock_upstream, log=log)

    async def run() -> None:
        try:  # stopped (temp folder, mock, sockets) however this ends: Ctrl-C, SIGTERM, SIGHUP, an error
            try:
                await proxy.start()
            except OSError as exc:
                raise ExternalError(f"cannot listen on {proxy.host}:{proxy.port}: {exc.strerror or exc}",
                                    hint="is CCR (or another ccrgen serve) running? stop it, or use --port") from None
            for note in proxy.notes:
                log(f"note: {note}")
            if proxy.mock is not None:
                log(f"mock upstream: every provider answers from {proxy.mock.url} as that provider would "
                    f"(auth checked; recorded requests: {proxy.mock.url}/_mock/requests)")
            auth = "x-api-key or Bearer APIKEY required" if proxy.apikey else "no APIKEY: loopback only, no auth"
            log(f"ccrgen proxy on {proxy.url} ({loaded.file}; {auth}). Ctrl-C stops it.")
            if ready_file:
                try:
                    Path(ready_file).write_text(proxy.url + "\n", encoding="utf-8")
                except OSError as exc:
                    raise WriteError(f"cannot write the ready file {ready_file}: {exc.strerror or exc}") from None
            await asyncio.Event().wait()
        finally:
            with signals.deferred():
                await proxy.stop()

    try:
        asyncio.run(run())
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP turned into it by ccrgen.common.signals
        log("stopped")
        sys.exit(getattr(exc, "exit_code", 130))


def _check_ready_folder(path) -> None:
    import os

    from ccrgen.errors import WriteError

    folder = path.parent
    if not folder.is_dir():
        raise WriteError(f"cannot write the ready file {path}: no folder {folder}",
                         hint="create the folder first, or name a file in an existing one")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise WriteError(f"cannot write the ready file {path}: {folder} is not writable")
