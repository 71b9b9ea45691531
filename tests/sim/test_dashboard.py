"""The dashboard in a real headless Chromium (Debian's package, driven by Playwright)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pandas as pd
import pytest

from tests.conftest import SCENARIOS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

def _needs_browser():
    if CHROMIUM is None:
        if os.environ.get("ZHUQI_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed but ZHUQI_REQUIRE_BROWSER is set")
        pytest.skip("chromium is not installed (Debian package 'chromium')")
    return pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard():
    _needs_browser()
    port = free_port()
    proc = start_server(["dashboard", str(SCENARIOS / "zhangye-2022"), "--port", str(port)],
                        port)
    yield port
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)


def start_server(args: list[str], port: int, timeout: float = 90) -> subprocess.Popen:
    """Start ``zhuqi ARGS`` in its own session and wait until it answers on ``port``."""
    proc = subprocess.Popen([sys.executable, "-m", "zhuqi", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
        if proc.poll() is not None:
            raise RuntimeError(proc.stdout.read().decode())
    os.killpg(proc.pid, signal.SIGTERM)
    raise RuntimeError(f"zhuqi {args[0]} did not start in {timeout:g} s")


def listening_addresses(port: int) -> set[str]:
    """Local addresses (IPv4, dotted) with a socket listening on ``port``, from /proc."""
    out = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table) as fh:
            next(fh)
            for line in fh:
                local, state = line.split()[1], line.split()[3]
                addr, hexport = local.split(":")
                if state == "0A" and int(hexport, 16) == port:
                    if len(addr) == 8:
                        out.add(socket.inet_ntoa(bytes.fromhex(addr)[::-1]))
                    else:
                        out.add("ipv6:" + addr)
    return out


def test_dashboard_binds_to_localhost_only(dashboard):
    if not os.path.exists("/proc/net/tcp"):
        pytest.skip("needs Linux /proc to list listening sockets")
    assert listening_addresses(dashboard) == {"127.0.0.1"}


def test_dashboard_renders_controls_chart_and_steps(dashboard):
    sync_api = _needs_browser()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"http://127.0.0.1:{dashboard}/")
            for label in ("Number of cadres", "Collection policy",
                          "Department capacity (parallel cases)", "Seed"):
                page.get_by_text(label, exact=True).wait_for(timeout=60_000)
            for name in ("Step", "Reset", "▶"):
                assert page.get_by_role("button", name=name).count() == 1
            page.get_by_text("Time: 0.0").wait_for(timeout=30_000)
            chart = page.locator("img.widget-image")
            # open issues, resolution rate, utilisation: the charts render one after another
            chart.nth(2).wait_for(timeout=60_000)
            assert chart.count() >= 3
            before = chart.first.get_attribute("src")
            page.get_by_role("button", name="Step").click()
            page.get_by_text("Time: 1.0").wait_for(timeout=30_000)
            page.get_by_role("button", name="Step").click()
            page.get_by_text("Time: 2.0").wait_for(timeout=30_000)
            page.wait_for_function(
                "src => document.querySelector('img.widget-image').src !== src", arg=before,
                timeout=30_000)  # the chart was redrawn
            assert not errors, errors
        finally:
            browser.close()


def test_dashboard_hides_developer_controls_and_shows_slider_values(dashboard):
    """Mesa's play/render interval and thread controls are hidden, each slider shows its
    value and the lone "Page 0" tab is gone (all three were on the page before)."""
    sync_api = _needs_browser()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.goto(f"http://127.0.0.1:{dashboard}/")
            page.get_by_text("Number of cadres", exact=True).wait_for(timeout=60_000)
            page.get_by_role("button", name="Step").wait_for(timeout=30_000)
            for label in ("Play Interval (ms)", "Render Interval (steps)", "Use Threads"):
                assert not page.get_by_text(label, exact=True).is_visible()
            assert not page.get_by_role("tab", name="Page 0").is_visible()
            thumbs = page.locator(".v-slider__thumb-label")
            shown = [thumbs.nth(k).inner_text().strip() for k in range(thumbs.count())
                     if thumbs.nth(k).is_visible()]
            cadres = len(pd.read_csv(SCENARIOS / "zhangye-2022" / "cadres.csv"))
            department = 2  # scenario.yaml: escalation.department.servers
            assert shown == [str(cadres), str(department), "0"]  # cadres, capacity, seed
        finally:
            browser.close()


def test_dashboard_labels_in_chinese():
    """``--lang zh`` labels the controls and charts in Chinese (they were English only)."""
    code = ("import sim.app as a; print('|'.join(v['label'] for v in a.MODEL_PARAMS.values()));"
            "print(a.word('day'))")
    env = {**os.environ, "ZHUQI_DASHBOARD_LANG": "zh",
           "ZHUQI_DASHBOARD_SCENARIO": str(SCENARIOS / "zhangye-2022")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout.splitlines()
    assert out[0] == "驻企干部人数|问题收集方式|职能部门并行办理件数|随机种子"
