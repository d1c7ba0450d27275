"""SIGTERM is handled like Ctrl-C: the temporary output is removed, exit status 143."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
from hostile import head_mesh

from selftalk.mesh import read_mesh


def test_sigterm_while_writing_leaves_nothing(tmp_path):
    mesh = head_mesh(tmp_path / "head.ply")
    n = len(read_mesh(mesh).vertices)
    t = np.linspace(0, 60, 1800)[:, None, None]
    motion = read_mesh(mesh).vertices[None] * (1 + 0.05 * np.sin(t)).astype(np.float32)
    np.save(tmp_path / "m.npy", motion.astype(np.float32).reshape(len(t), n, 3))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "selftalk", "render", str(tmp_path / "m.npy"),
               "--template", str(mesh), "-o", str(out / "v.mp4"), "--backend", "numpy",
               "--size", "256x256"]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if out.is_dir() and any(".tmp" in p.name for p in out.iterdir()):
            break
        time.sleep(0.05)
    assert process.poll() is None, process.stderr.read()
    os.kill(process.pid, signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert err.strip().splitlines() == ["selftalk render: terminated"]
    assert not out.exists()  # neither the video, nor its temporary file, nor the folder
