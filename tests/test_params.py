"""Profiles and parameter validation (every chapter's parameters cell goes through these)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jupytext
import pytest
from facerobust import params
from facerobust.params import ParameterError

ROOT = Path(__file__).resolve().parents[1]
# chapters (NN_name.py) and appendix pages (A_name.py)
CHAPTERS = sorted([*(ROOT / "notebooks").glob("[0-9][0-9]_*.py"), *(ROOT / "notebooks").glob("[A-Z]_*.py")])


def test_chapters_exist() -> None:
    assert CHAPTERS, "no chapters found"


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_has_three_profiles(nb: Path) -> None:
    profs = params.profiles(nb.stem)
    assert set(profs) == set(params.PROFILES)
    # the three profiles name the same parameters, so an override valid on one is valid on all
    assert set(profs["ci"]) == set(profs["default"]) == set(profs["full"])


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_has_a_parameters_cell_and_version_check(nb: Path) -> None:
    cells = jupytext.read(nb).cells
    tagged = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert 'profile = "default"' in tagged[0].source and "overrides = {}" in tagged[0].source
    setup = next(c for c in cells[cells.index(tagged[0]) + 1:] if c.cell_type == "code")
    assert "check_version" in setup.source and f'params.load("{nb.stem}"' in setup.source


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_code_cells_are_short(nb: Path) -> None:
    """Prose-first notebooks: anything longer than 15 lines belongs in lib."""
    for cell in jupytext.read(nb).cells:
        if cell.cell_type == "code":
            lines = [ln for ln in cell.source.splitlines() if ln.strip()]
            assert len(lines) <= 15, f"a code cell of {len(lines)} lines in {nb.name}: move it into lib"


def test_unknown_profile_is_one_line() -> None:
    with pytest.raises(ParameterError, match="profile='fast' is not one of ci, default, full"):
        params.load("00_setup_and_data", "fast")


def test_unknown_override_names_the_parameter() -> None:
    with pytest.raises(ParameterError, match="unknown parameter 'n_exmples'"):
        params.load("00_setup_and_data", "ci", {"n_exmples": 3})


def test_wrong_type_names_the_parameter() -> None:
    with pytest.raises(ParameterError, match="parameter 'seed' must be int"):
        params.load("00_setup_and_data", "ci", {"seed": "zero"})


def test_missing_path_names_the_parameter(tmp_path, monkeypatch) -> None:
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "99_x.yml").write_text(
        "ci: {data_root: null}\ndefault: {data_root: null}\nfull: {data_root: null}\n")
    monkeypatch.setenv("FACEROBUST_ROOT", str(tmp_path))
    assert params.load("99_x", "ci").data_root is None
    with pytest.raises(ParameterError, match="parameter 'data_root': path /no/such/dir does not exist"):
        params.load("99_x", "ci", {"data_root": "/no/such/dir"})


def test_params_are_read_only() -> None:
    p = params.load("00_setup_and_data", "ci")
    with pytest.raises(TypeError):
        p._values["seed"] = 3  # type: ignore[index]
    with pytest.raises(AttributeError, match="has no parameter 'nope'"):
        _ = p.nope


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "fast"], "error: profile='fast' is not one of ci, default, full"),
        (["-p", "bogus", "1"], "error: unknown parameter 'bogus'"),
    ],
)
def test_runner_rejects_bad_parameters_in_one_line(tmp_path, args, message) -> None:
    cmd = [sys.executable, "-m", "facerobust.runner", str(ROOT / "notebooks/00_setup_and_data.py"),
           "-o", str(tmp_path / "out.ipynb"), *args]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), res.stderr
    assert not (tmp_path / "out.ipynb").exists()


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_states_its_minutes(nb: Path) -> None:
    """The build's schedule estimate on a fresh clone: each profile the book builds says its minutes."""
    for profile in ("ci", "default"):
        got = params.minutes(nb.stem, profile)
        assert got is not None and got > 0


@pytest.mark.parametrize("bad", ["minutes: 3", "minutes: {ci: -1}", "minutes: {fast: 2}",
                                 "minutes: {ci: two}"])
def test_bad_minutes_is_one_line(tmp_path, monkeypatch, bad: str) -> None:
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "Z_fake.yml").write_text(f"{bad}\nci: {{}}\ndefault: {{}}\nfull: {{}}\n")
    monkeypatch.setattr(params, "repo_root", lambda: tmp_path)
    with pytest.raises(ParameterError, match="minutes") as exc:
        params.minutes("Z_fake", "ci")
    assert "\n" not in str(exc.value)


def test_build_estimates_from_minutes_without_a_measured_time() -> None:
    from facerobust.build import _estimate

    assert _estimate({"wall_s": 12.5}, "07_defense_gan", "default") == 12.5
    assert _estimate({}, "07_defense_gan", "default") == 60.0 * params.minutes("07_defense_gan", "default")
