"""Serve an app on a free local port in a background thread (browser tests, screenshots)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

#: Debian's Chromium and the flags it needs headless, as root, on a machine with no network.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a background thread; yield its base URL; always stop it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # the socket is handed to uvicorn: no race for the port
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server thread died before it started serving")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start on {url} within 20 s")
            time.sleep(0.02)
        httpx.get(f"{url}/api/v1/health", timeout=5).raise_for_status()
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
