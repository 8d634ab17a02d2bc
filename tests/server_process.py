"""A real `wsd serve` process on a free loopback port, for tests that need signals, workers or a process."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serving(
    command: list[str], wait_for: str = "/healthz", timeout: float = 180
) -> tuple[subprocess.Popen, str]:
    """Start a `wsd serve` command (its --port is added) and wait until `wait_for` answers 200."""
    port = free_port()
    process = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise AssertionError(f"the server stopped: {process.communicate()[1]}")
        try:
            if httpx.get(f"{base}{wait_for}", timeout=2).status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the server did not come up in {timeout} s")
        time.sleep(0.2)
