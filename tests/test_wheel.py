"""The built wheel installs into a fresh environment and gives a working ``zhuqi``."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # about 40 s: builds the wheel, installs it into a fresh venv


def _run(args: list, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # the environment's own setuptools (>= 77, as pyproject requires): no download
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
          "--wheel-dir", out, ROOT])
    (path,) = out.glob("zhuqi-*.whl")
    return path


def test_wheel_metadata_and_contents(wheel):
    """License as an SPDX expression, the license file, the three packages and their data."""
    from zhuqi import __version__

    assert wheel.name.startswith(f"zhuqi-{__version__}-")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in meta
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    for module in ("assign/__init__.py", "sim/__init__.py", "zhuqi/cli.py", "assign/py.typed"):
        assert module in names, module
    assert any(n.startswith("assign/static/leaflet/") for n in names)
    entry = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    with zipfile.ZipFile(wheel) as zf:
        assert "zhuqi = zhuqi.cli:main" in zf.read(entry).decode()


def test_wheel_installs_into_a_fresh_environment(wheel, tmp_path):
    """A fresh venv with the wheel installed (its dependencies borrowed from this environment
    through a .pth file, so nothing is downloaded) runs ``zhuqi --version`` and ``zhuqi check``
    from the wheel's own files, not from the source tree."""
    env_dir = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    fresh_site = Path(_run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
                      .stdout.strip())
    # only the dependencies' directory: the .pth files in it (this checkout's editable
    # install among them) are not processed from a path added this way
    (fresh_site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", py, "install", "--no-deps", "--quiet", wheel])
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    zhuqi = env_dir / "bin" / "zhuqi"
    from zhuqi import __version__

    assert _run([zhuqi, "--version"], env=env, cwd=tmp_path).stdout.strip() == f"zhuqi {__version__}"
    where = _run([py, "-c", "import assign, zhuqi; print(assign.__file__); print(zhuqi.__file__)"],
                 env=env, cwd=tmp_path).stdout.split()
    assert all(Path(w).is_relative_to(env_dir) for w in where), where
    done = _run([zhuqi, "check", ROOT / "scenarios" / "nanan-2020"], env=env, cwd=tmp_path)
    assert "ok: the scenario is valid" in done.stdout
