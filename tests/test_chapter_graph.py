"""Chapter dependencies (`needs:` in params/NN_name.yml): declared once, validated, used in order."""

from __future__ import annotations

from pathlib import Path

import pytest
from facerobust import chapter_graph, params
from facerobust.chapter_graph import GraphError
from facerobust.params import ParameterError

ROOT = Path(__file__).resolve().parents[1]
PROFILES = "ci: {seed: 0}\ndefault: {seed: 0}\nfull: {seed: 0}\n"


def test_the_books_graph() -> None:
    edges = chapter_graph.graph(ROOT / "notebooks")
    assert set(edges) == {p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.py")}
    one = "01_attribute_networks"
    for chapter in ("02_attribute_attacks", "03_attribute_portability", "05_crispr"):
        assert one in edges[chapter], f"{chapter} reads chapter 1's cached networks"
    assert "02_attribute_attacks" in edges["03_attribute_portability"]  # and chapter 2's attacks
    order = chapter_graph.order(edges)
    assert all(order.index(d) < order.index(c) for c, deps in edges.items() for d in deps)


def _book(tmp_path: Path, monkeypatch, files: dict[str, str]) -> Path:
    (tmp_path / "params").mkdir()
    (tmp_path / "notebooks").mkdir()
    for name, text in files.items():
        (tmp_path / "params" / f"{name}.yml").write_text(text)
        (tmp_path / "notebooks" / f"{name}.py").write_text("")
    monkeypatch.setenv("FACEROBUST_ROOT", str(tmp_path))
    return tmp_path / "notebooks"


def test_unknown_chapter_is_named(tmp_path, monkeypatch) -> None:
    nbs = _book(tmp_path, monkeypatch, {"01_a": PROFILES, "02_b": "needs: [01_typo]\n" + PROFILES})
    with pytest.raises(GraphError, match=r"02_b.yml: needs '01_typo', which is not a chapter"):
        chapter_graph.graph(nbs)


def test_self_dependency_is_refused(tmp_path, monkeypatch) -> None:
    nbs = _book(tmp_path, monkeypatch, {"01_a": "needs: [01_a]\n" + PROFILES})
    with pytest.raises(GraphError, match="cannot need itself"):
        chapter_graph.graph(nbs)


def test_cycle_is_named(tmp_path, monkeypatch) -> None:
    nbs = _book(tmp_path, monkeypatch, {"01_a": "needs: [03_c]\n" + PROFILES,
                                        "02_b": "needs: [01_a]\n" + PROFILES,
                                        "03_c": "needs: [02_b]\n" + PROFILES, "04_d": PROFILES})
    with pytest.raises(GraphError, match=r"cycle: 01_a -> 03_c -> 02_b -> 01_a"):
        chapter_graph.graph(nbs)


def test_needs_must_be_a_list_of_names(tmp_path, monkeypatch) -> None:
    nbs = _book(tmp_path, monkeypatch, {"01_a": "needs: 02_b\n" + PROFILES, "02_b": PROFILES})
    with pytest.raises(GraphError, match="needs must be a list of chapter names"):
        chapter_graph.graph(nbs)


def test_params_accept_needs_and_refuse_other_top_level_keys(tmp_path, monkeypatch) -> None:
    _book(tmp_path, monkeypatch, {"01_a": PROFILES, "02_b": "needs: [01_a]\n" + PROFILES,
                                  "03_c": "neds: [01_a]\n" + PROFILES})
    assert params.needs("02_b") == ("01_a",) and params.needs("01_a") == ()
    assert params.load("02_b", "ci").seed == 0  # needs is not a parameter
    with pytest.raises(ParameterError, match=r"03_c.yml: unknown top-level key\(s\) neds"):
        params.profiles("03_c")


def test_a_key_written_twice_is_refused(tmp_path, monkeypatch) -> None:
    """PyYAML keeps the last of two equal keys: a stray `default:` line once hid in a params file."""
    _book(tmp_path, monkeypatch, {"01_a": "default: stray\n" + PROFILES,
                                  "02_b": "ci: {seed: 0, seed: 1}\ndefault: {seed: 0}\nfull: {seed: 0}\n"})
    with pytest.raises(ParameterError, match=r"01_a.yml: key 'default' is written twice \(line 3\)"):
        params.profiles("01_a")
    with pytest.raises(ParameterError, match="key 'seed' is written twice"):
        params.profiles("02_b")
