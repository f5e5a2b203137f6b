import click


@click.command("mock-upstream")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@click.option("--ready-file", type=click.Path(dir_okay=False),
              help="Write the URL to this file once listening.")
def command(host, port, ready_file):
    """Run the mock OpenAI-compatible upstream that ccrgen's tests use.

    It answers chat completions (streaming or not) with `mock answer from <model>` and
    records every request; GET /_mock/requests lists them, POST /_mock/script queues
    scripted answers. Stop it with Ctrl-C.

    \b
    Point a provider at URL/p/<provider>/v1/chat/completions and the mock checks auth as
    that provider does: hicap 401 without a usable `api-key` header; openrouter, deepseek
    and unknown providers 401 without a usable `Authorization: Bearer` token (missing,
    empty, or a literal `$NAME`); ollama takes anything. URL/v1/chat/completions checks
    no auth.
    """
    import asyncio

    from ccrgen.proxy.mock_upstream import serve_forever

    try:
        asyncio.run(serve_forever(host, port, ready_file, lambda line: click.echo(line)))
    except OSError as exc:
        from ccrgen.errors import ExternalError

        raise ExternalError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
