"""A `selftalk serve` process (the bundled streaming model) on free loopback ports, shared by these tests."""

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

MAX_STREAMS = 3


@dataclass
class Server:
    process: subprocess.Popen
    http: str
    grpc: str
    lines: list

    @property
    def ws(self):
        return self.http.replace("http://", "ws://", 1) + "/stream"


def start_server(*extra, max_streams=MAX_STREAMS):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "selftalk",
            "serve",
            "--http-port",
            "0",
            "--grpc-port",
            "0",
            "--max-streams",
            str(max_streams),
            "--grace",
            "2",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines, http, grpc = [], None, None
    deadline = time.monotonic() + 300  # a loaded machine starts torch slowly
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if m := re.search(r"HTTP (http://127\.0\.0\.1:\d+)", line):
            http = m.group(1)
        if m := re.search(r"gRPC (127\.0\.0\.1:\d+)", line):
            grpc = m.group(1)
        if "ready" in line:
            return Server(process, http, grpc, lines)
    process.kill()
    raise RuntimeError("selftalk serve did not start:\n" + "".join(lines))


def stop_server(server, sig=signal.SIGTERM, timeout=30):
    server.process.send_signal(sig)
    out, _ = server.process.communicate(timeout=timeout)
    server.lines.extend(out.splitlines(keepends=True))
    return server.process.returncode


def running_server(*extra):
    """Generator for a module's ``server`` fixture: starts one, stops it (SIGTERM, exit 0)."""
    from conftest import require_module  # the suite-wide helpers (tests/conftest.py)

    for name in ("aiohttp", "grpc", "nvidia_audio2face_3d"):
        require_module(name)
    server = start_server(*extra)
    yield server
    if server.process.poll() is None:
        code = stop_server(server)
        assert code == 0, "".join(server.lines)[-3000:]
