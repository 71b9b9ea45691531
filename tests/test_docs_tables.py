"""The docs' table reference is the readers' and writers' one description: every column of
:func:`assign.io.table_reference` is on the page, with its Chinese header and unit."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_tables_page_lists_every_described_column():
    from assign.io import table_reference

    spec = importlib.util.spec_from_file_location("zhuqi_docs_hooks", ROOT / "docs" / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    page = hooks.tables_page()
    lines = page.splitlines()
    for r in table_reference().itertuples():
        row = next((ln for ln in lines if ln.startswith(f"| `{r.key}` | {r.zh} |")), None)
        assert row is not None, (r.kind, r.key, r.zh)
        if r.unit:
            assert f"| {r.unit} |" in row, (r.kind, r.key, r.unit)
