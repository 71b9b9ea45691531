"""Import Mesa without the stack walk its logger set-up does.

``mesa.model`` names its module logger from ``inspect.stack()`` and its ``__init__``
decorator from ``inspect.getouterframes()``; both read the source lines of every frame on
the stack and scan ``sys.modules`` for each frame's file. In a ``zhuqi`` process that has
loaded pandas (some 1,600 modules) this took 0.2 s, a tenth of what ``zhuqi simulate``
spends importing. While Mesa is first imported here, the two functions return the same
frames without reading source (``code_context`` None): the logger gets the same name, the
decorator the same class name. Imported first by the ``sim`` package, so before any of
its modules imports Mesa.
"""

from __future__ import annotations

import inspect
import sys


def _frames(frame, context: int = 1) -> list[inspect.FrameInfo]:
    out = []
    while frame is not None:
        code = frame.f_code
        out.append(inspect.FrameInfo(frame, code.co_filename, frame.f_lineno, code.co_name,
                                     None, None))
        frame = frame.f_back
    return out


def _stack(context: int = 1) -> list[inspect.FrameInfo]:
    return _frames(sys._getframe(1), context)


def import_mesa() -> None:
    """Import ``mesa`` (once; later calls do nothing)."""
    if "mesa.model" in sys.modules:
        return
    stack, outer = inspect.stack, inspect.getouterframes
    inspect.stack, inspect.getouterframes = _stack, _frames
    try:
        import mesa  # noqa: F401
    finally:
        inspect.stack, inspect.getouterframes = stack, outer


import_mesa()
