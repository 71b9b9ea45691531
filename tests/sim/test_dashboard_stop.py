"""Stopping `zhuqi dashboard` with SIGTERM stops its solara server too and frees the port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import SCENARIOS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out += [int(x) for x in text]
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_stops_the_solara_child():
    pytest.importorskip("solara")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "zhuqi", "dashboard", str(SCENARIOS / "zhangye-2022"),
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
            assert proc.poll() is None, "the dashboard exited early"
        else:
            pytest.fail("dashboard did not start in 120 s")
        children = _children(proc.pid)
        assert children, "the dashboard runs solara as a child process"
        os.kill(proc.pid, signal.SIGTERM)  # the parent only, as a service manager would
        proc.wait(timeout=30)
        deadline = time.time() + 15
        while time.time() < deadline and any(_alive(c) for c in children):
            time.sleep(0.2)
        assert not any(_alive(c) for c in children), "solara survived its parent"
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))  # the port is free again
    finally:
        if proc.poll() is None:
            proc.kill()
