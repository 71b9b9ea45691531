"""Manifests: input hashes against hashlib, placement beside outputs, checks after edits."""

from __future__ import annotations

import hashlib
import json

from typer.testing import CliRunner

from assign.io.manifest import build_manifest, check_manifest, manifest_path, write_manifest
from zhuqi.cli import app

runner = CliRunner()


def test_hashes_match_hashlib_on_the_input_files(make_scenario):
    folder = make_scenario()
    man = build_manifest([folder], command="zhuqi solve x", overrides={"a.b": 1}, seed=7,
                         started=0.0, seconds=1.25)
    roles = {e["role"]: e for e in man["inputs"]}
    assert set(roles) == {"scenario", "cadres", "firms"}
    for role, name in (("scenario", "scenario.yaml"), ("cadres", "cadres.csv"),
                       ("firms", "firms.csv")):
        data = (folder / name).read_bytes()
        assert roles[role]["sha256"] == hashlib.sha256(data).hexdigest()
        assert roles[role]["bytes"] == len(data)
    assert man["seed"] == 7 and man["overrides"] == {"a.b": 1}
    assert man["started"] == "1970-01-01T00:00:00+00:00" and man["seconds"] == 1.25
    assert man["versions"]["python"] and "ortools" in man["versions"]


def test_manifest_sits_beside_the_file_and_check_sees_edits(make_scenario, tmp_path):
    folder = make_scenario()
    target = tmp_path / "pairs.csv"
    target.write_text("x\n")
    written = write_manifest(target, build_manifest([folder]))
    assert written == manifest_path(target) == tmp_path / "pairs.csv.manifest.json"
    assert {r["status"] for r in check_manifest(written, folder)} == {"same"}
    (folder / "firms.csv").write_bytes((folder / "firms.csv").read_bytes() + b"f9,x,38.9,100.4,0,\n")
    rows = {r["role"]: r["status"] for r in check_manifest(written, folder)}
    assert rows == {"scenario": "same", "cadres": "same", "firms": "changed"}
    (folder / "cadres.csv").unlink()
    assert {r["role"]: r["status"] for r in check_manifest(written)}["cadres"] == "missing"


def test_cli_writes_manifests_and_check_compares(make_scenario, tmp_path):
    folder = make_scenario()
    out = tmp_path / "out"
    res = runner.invoke(app, ["solve", str(folder), "--out", str(out / "p.csv"),
                              "--summary", str(out / "s.json"), "--out", str(out / "p.xlsx")])
    assert res.exit_code == 0, res.output
    man = json.loads((out / "p.xlsx.manifest.json").read_text(encoding="utf-8"))
    assert man["output"] == "p.xlsx" and man["command"].startswith("zhuqi solve")
    summary = json.loads((out / "s.json").read_text(encoding="utf-8"))
    assert summary["manifest"]["inputs"][1]["sha256"] == hashlib.sha256(
        (folder / "cadres.csv").read_bytes()).hexdigest()
    res = runner.invoke(app, ["check", str(folder), "--manifest", str(out / "s.json")])
    assert res.exit_code == 0, res.output
    assert "all 3 inputs match" in res.output
    (folder / "scenario.yaml").write_text((folder / "scenario.yaml").read_text() + "\n# edited\n")
    res = runner.invoke(app, ["check", str(folder), "--manifest", str(out / "s.json")])
    assert res.exit_code == 1 and "changed" in res.output
    res = runner.invoke(app, ["check", str(folder), "--manifest", str(folder / "cadres.csv")])
    assert res.exit_code == 2


def test_batch_solves_write_manifests(make_scenario, tmp_path):
    from assign.batch import solve_batch

    folder = make_scenario()
    solve_batch([folder], tmp_path / "b")
    out = tmp_path / "b" / "scn"
    man = json.loads((out / "pairs.csv.manifest.json").read_text(encoding="utf-8"))
    assert {e["role"] for e in man["inputs"]} == {"scenario", "cadres", "firms"}
    assert "manifest" in json.loads((out / "summary.json").read_text(encoding="utf-8"))
    batch = json.loads((tmp_path / "b" / "batch.csv.manifest.json").read_text(encoding="utf-8"))
    assert batch["inputs"][0]["sha256"] == hashlib.sha256(
        (folder / "scenario.yaml").read_bytes()).hexdigest()


def test_manifest_sees_the_road_graph(tmp_path):
    """Issue 19 item 9: with every road's km changed, check --manifest said every input was
    'same': the road graph was not among the inputs."""
    import shutil
    from pathlib import Path

    from assign import build_manifest, check_manifest, load_scenario
    from assign.io.manifest import scenario_inputs

    src = Path(__file__).parents[2] / "scenarios" / "zhangye-2022"
    folder = tmp_path / "zy"
    shutil.copytree(src, folder)
    sc = load_scenario(folder)
    manifest = build_manifest(scenario_inputs(sc))
    roles = {e.get("role") for e in manifest["inputs"]}
    assert any(r and r.startswith("roads") for r in roles)
    assert {r["status"] for r in check_manifest(manifest, folder)} == {"same"}
    road = next(p for p in sorted((folder / "roads").iterdir()) if p.is_file())
    road.write_bytes(road.read_bytes() + b"\n")
    rows = check_manifest(manifest, folder)
    changed = [r for r in rows if r["status"] != "same"]
    assert [r["role"] for r in changed] == [f"roads/{road.name}"]


def test_solve_manifest_records_the_fingerprint(tmp_path):
    """The manifest beside a pairing list carries the scenario's fingerprint, the same the
    experiment store keys runs by (and the compiled Problem holds)."""
    from pathlib import Path

    from assign import load_scenario
    from assign.io.manifest import read_manifest
    from assign.problem import compile_problem

    root = Path(__file__).parents[2] / "scenarios" / "quanzhou-2020"
    out = tmp_path / "pairs.csv"
    res = CliRunner().invoke(app, ["solve", str(root), "--out", str(out)])
    assert res.exit_code == 0, res.output
    man = read_manifest(manifest_path(out))
    assert man["fingerprint"] == compile_problem(load_scenario(root)).fingerprint
