"""The command outputs shown in README.md and docs/ are what the commands print today.

``docs/examples.py`` runs the commands and writes their output to ``docs/snippets/``; the
pages include those files and README's example blocks repeat them. The quick examples are
rerun here; the others (simulations, sweeps: minutes) only with ``ZHUQI_DOCS_EXAMPLES=all``
(``make examples`` rewrites them all).
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys

import pytest

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("docs_examples", ROOT / "docs" / "examples.py")
examples = importlib.util.module_from_spec(_spec)
sys.modules["docs_examples"] = examples  # dataclasses look their module up there
_spec.loader.exec_module(examples)

ALL = os.environ.get("ZHUQI_DOCS_EXAMPLES") == "all"
INCLUDE = re.compile(r'--8<-- "([\w-]+)\.txt"')


def _pages() -> list:
    return [p for p in (ROOT / "docs").rglob("*.md")]


def test_every_example_is_shown_and_every_shown_output_is_an_example():
    included = {m for p in _pages() for m in INCLUDE.findall(p.read_text(encoding="utf-8"))}
    readme = examples.readme_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert included | set(readme) <= set(examples.BY_NAME), "a page shows output no example makes"
    assert set(examples.BY_NAME) <= included | set(readme), "an example no page shows"
    for name in examples.BY_NAME:
        assert examples.snippet_path(name).is_file(), f"docs/snippets/{name}.txt: run docs/examples.py"


def test_readme_blocks_are_the_snippets():
    """README repeats the snippet text exactly (docs/examples.py rewrites both)."""
    readme = examples.readme_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert readme, "README has no example blocks"
    for name, body in readme.items():
        assert body == examples.snippet_path(name).read_text(encoding="utf-8"), name


def test_readme_pictures_follow_their_files(tmp_path, monkeypatch):
    """A picture block shows its image exactly when the file exists (the workbench's
    screenshot appears once docs/img/workbench-2-plan.png is added and docs/examples.py runs)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert examples.picture_blocks(readme) == readme, "run docs/examples.py"
    text = "<!-- picture: docs/x.png | an x -->\n<!-- /picture -->"
    monkeypatch.setattr(examples, "ROOT", tmp_path)
    assert examples.picture_blocks(text) == text
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "x.png").write_bytes(b"png")
    assert examples.picture_blocks(text) == (
        "<!-- picture: docs/x.png | an x -->\n![an x](docs/x.png)\n<!-- /picture -->")


def test_comparison_masks_timings_but_not_results():
    """The masking ignores a solve's seconds and column widths, and nothing else."""
    ex = examples.BY_NAME["solve-quanzhou"]
    shown = examples.snippet_path("solve-quanzhou").read_text(encoding="utf-8")
    faster = re.sub(r"(│ seconds +│ )[\d.]+", r"\g<1>12.34", shown)
    assert faster != shown
    assert examples.comparable(ex, faster) == examples.comparable(ex, shown)
    worse = shown.replace("390.837", "391.837")
    assert worse != shown and examples.comparable(ex, worse) != examples.comparable(ex, shown)


def _params():
    for ex in examples.EXAMPLES:
        slow = pytest.mark.skipif(not ALL, reason="slow example: ZHUQI_DOCS_EXAMPLES=all")
        marks = [] if ex.fast else [slow]
        yield pytest.param(ex, id=ex.name, marks=marks)


@pytest.mark.parametrize("example", _params())
def test_example_output_is_current(example):
    shown = examples.snippet_path(example.name).read_text(encoding="utf-8")
    now = examples.run(example)
    assert examples.comparable(example, now) == examples.comparable(example, shown), (
        f"docs/snippets/{example.name}.txt is out of date: run docs/examples.py {example.name}\n"
        f"--- shown\n{shown}\n--- now\n{now}")
