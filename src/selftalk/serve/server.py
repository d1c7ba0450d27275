"""``selftalk serve``: one process, HTTP + WebSocket and Audio2Face-3D gRPC on one event loop.

SIGINT / SIGTERM stop it gracefully: no new streams are taken (health says ``stopping``),
running ones get ``grace`` seconds to finish, then the listeners close.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("selftalk.serve")


@dataclass(kw_only=True)
class ServeOptions:
    """Where and how ``selftalk serve`` listens."""

    host: str = "127.0.0.1"
    http_port: int | None = 8000
    """None: no HTTP; 0: any free port (printed)."""
    grpc_port: int | None = 52000
    """None: no gRPC; 0: any free port (printed)."""
    web_dir: Path | None = None
    grace: float = 5.0
    max_upload_mb: float = 64.0


async def serve(engine, options: ServeOptions, *, ready=None) -> None:
    """Run until SIGINT / SIGTERM (or ``stop`` is set); ``ready(urls)`` once listening."""
    from aiohttp import web

    from selftalk.serve.http import build_app

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = grpc_server = None
    urls = {}
    try:
        if options.http_port is not None:
            app = build_app(engine, web_dir=options.web_dir, max_upload_mb=options.max_upload_mb)
            runner = web.AppRunner(
                app, handle_signals=False, access_log=None, shutdown_timeout=options.grace
            )
            await runner.setup()
            site = web.TCPSite(runner, options.host, options.http_port)
            await site.start()
            port = runner.addresses[0][1]
            urls["http"] = f"http://{_host(options.host)}:{port}"
        if options.grpc_port is not None:
            from selftalk.serve.a2f import start_grpc

            grpc_server, port = await start_grpc(engine, options.host, options.grpc_port)
            urls["grpc"] = f"{_host(options.host)}:{port}"
        if ready is not None:
            ready(urls)
        await stop.wait()
        log.info(
            "stopping: no new streams; %d running get %g s", len(engine.streams), options.grace
        )
        await engine.shutdown(options.grace)
    finally:
        if grpc_server is not None:
            await grpc_server.stop(grace=1.0)
        if runner is not None:
            await runner.cleanup()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def announce(urls: dict) -> None:
    """Print where the server listens (tests read these lines)."""
    if "http" in urls:
        http = urls["http"]
        print(
            f"selftalk serve: HTTP {http} (page {http}/, health {http}/health, WebSocket {http.replace('http', 'ws', 1)}/stream)"
        )
    if "grpc" in urls:
        print(f"selftalk serve: gRPC {urls['grpc']} (Audio2Face-3D A2FControllerService)")
    print("selftalk serve: ready; Ctrl-C stops", flush=True)
    sys.stdout.flush()
