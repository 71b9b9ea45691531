"""Server children (the dashboard, the workbench) that stop with the ``zhuqi`` process."""

from __future__ import annotations

from .options import EXIT_OK


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Ask Linux to send the child SIGTERM when its parent dies (even by SIGKILL)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run_child(cmd: list[str], env: dict[str, str]) -> int:
    """Run a server child that stops with its parent: SIGTERM, SIGHUP or Ctrl+C on the
    parent stop the child (and the child gets SIGTERM if the parent is killed outright)."""
    import signal
    import subprocess
    import sys

    preexec = _die_with_parent if sys.platform.startswith("linux") else None
    child = subprocess.Popen(cmd, env=env, preexec_fn=preexec)  # noqa: PLW1509

    def stop(signum, frame) -> None:
        child.terminate()
        raise KeyboardInterrupt

    old = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return child.wait()
    except KeyboardInterrupt:
        if child.poll() is None:
            child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        return EXIT_OK
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
