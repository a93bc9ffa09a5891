"""Chapter 04's CNNAA-on-CelebA path on the generated CelebA fixture: the landmark reader, the part
windows, the attribute-to-region assignment, a few training steps through the streaming DataLoader,
and the Table 2.11-style accuracy table and claims rows."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

from celeba_fixture import MEAN_LANDMARKS, peak_of, write_celeba  # noqa: E402
from facerobust.data import celeba  # noqa: E402
from facerobust.experiments import claims as C  # noqa: E402
from facerobust.experiments.continuous_auth import celeba_cnnaa as cc  # noqa: E402
from facerobust.experiments.continuous_auth import celeba_parts as cp  # noqa: E402
from facerobust.experiments.continuous_auth import claims_table as cl  # noqa: E402
from facerobust.models import cnnaa  # noqa: E402


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_celeba(tmp_path_factory.mktemp("celeba") / "celeba", 60)


def test_landmarks_read_and_aligned_with_files(root: Path) -> None:
    table = celeba.read_landmarks(root / celeba.LANDMARK_FILE)
    assert len(table) == 60 and table["000001.jpg"].shape == (5, 2)
    pts = celeba.landmarks(root, ["000003.jpg", "000001.jpg"])
    assert pts.shape == (2, 5, 2)
    assert np.array_equal(pts[1], table["000001.jpg"])
    assert np.abs(pts - MEAN_LANDMARKS).max() <= 2


@pytest.mark.parametrize(("line", "match"), [
    ("000001.jpg 69 109 106 113 77 142 73 152 108", "10 integers"),
    ("000001.jpg 69 109 106 113 77 142 73 152 108 x", "10 integers"),
    ("000001.jpg 69 109 106 113 77 142 73 152 108 300", "outside"),
])
def test_landmark_reader_rejects_bad_lines(tmp_path: Path, line: str, match: str) -> None:
    path = tmp_path / celeba.LANDMARK_FILE
    path.write_text("1\n" + " ".join(celeba.LANDMARK_NAMES) + "\n" + line + "\n")
    with pytest.raises(celeba.CelebAError, match=match):
        celeba.read_landmarks(path)


def test_landmark_reader_rejects_bad_header_and_count(tmp_path: Path) -> None:
    path = tmp_path / celeba.LANDMARK_FILE
    path.write_text("1\nx y\n000001.jpg 1 1 1 1 1 1 1 1 1 1\n")
    with pytest.raises(celeba.CelebAError, match="line 2"):
        celeba.read_landmarks(path)
    path.write_text("2\n" + " ".join(celeba.LANDMARK_NAMES) + "\n000001.jpg 1 1 1 1 1 1 1 1 1 1\n")
    with pytest.raises(celeba.CelebAError, match="header says"):
        celeba.read_landmarks(path)


def test_missing_landmarks_named(root: Path) -> None:
    with pytest.raises(celeba.CelebAError, match="999999.jpg"):
        celeba.landmarks(root, ["999999.jpg"])


def test_assignment_matches_table_2_13_and_covers_every_attribute() -> None:
    assert {r: len(a) for r, a in cp.ASSIGNMENT.items()} == {r: v[2] for r, v in cnnaa.REGIONS.items()}
    assert all(len(set(a)) == len(a) for a in cp.ASSIGNMENT.values())
    assert set().union(*cp.ASSIGNMENT.values()) == set(celeba.ATTRIBUTE_NAMES)
    assert [r for r, a in cp.ASSIGNMENT.items() if "Mustache" in a] == ["Mouth", "NoseMouth", "MouthChin"]


@pytest.mark.parametrize("region", [*cnnaa.REGIONS, cp.FULL])
def test_windows_have_table_size_and_stay_inside(region: str) -> None:
    for pts in (MEAN_LANDMARKS, MEAN_LANDMARKS + (-60, -100), MEAN_LANDMARKS + (60, 60)):
        x0, y0, x1, y1 = cp.box(np.clip(pts, 0, (177, 217)), region)
        assert (x1 - x0, y1 - y0) == cp.window_size(region)
        assert x0 >= 0 and y0 >= 0 and x1 <= 178 and y1 <= 218


def test_window_centres_follow_the_landmarks() -> None:
    x0, y0, x1, y1 = cp.box(MEAN_LANDMARKS, "Mouth")
    assert abs((x0 + x1) / 2 - 88.5) <= 1 and abs((y0 + y1) / 2 - 152) <= 1
    assert cp.box(MEAN_LANDMARKS, "UpperHead")[3] < cp.box(MEAN_LANDMARKS, "MouthChin")[1]
    with pytest.raises(ValueError, match="unknown region"):
        cp.window_size("Elbow")
    with pytest.raises(ValueError, match="finite"):
        cp.centre(np.full((5, 2), np.nan), "Mouth")


def test_specs_validate() -> None:
    nets = cc.specs(["Deep"], ["Mouth"], ["Smiling"])
    assert [(s.kind, s.region, len(s.attributes)) for s in nets] == [("Multi", "Mouth", 10),
                                                                     ("Binary", cp.FULL, 1)]
    with pytest.raises(ValueError, match="Narrow"):
        cc.specs(["Narrow"], [], [])


def test_train_a_few_steps_and_table(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACEROBUST_CACHE", str(tmp_path / "cache"))
    torch.manual_seed(0)
    res = cc.run_celeba(root, ["Deep"], ["Mouth", "Nose"], ["Smiling"], steps=3, batch=8, lr=3e-4,
                        limits={"train": None, "valid": None, "test": None}, workers=0, n_boot=50)
    assert res.sizes == {"train": 48, "valid": 6, "test": 6}
    assert res.table.shape[0] == 40
    covered = set(cp.ASSIGNMENT["Mouth"]) | set(cp.ASSIGNMENT["Nose"])
    assert res.table["MultiDeep"].notna().sum() == len(covered)
    assert res.table["BinaryDeep"].notna().sum() == 1
    assert res.table.loc["Mustache", "MultiDeep (paper)"] == 97
    summary = res.summary
    assert set(summary.index) == {"MultiDeep", "MultiDeep heads", "BinaryDeep"}
    assert ((summary.low <= summary.ours) & (summary.ours <= summary.high)).all()
    assert summary.loc["BinaryDeep", "paper (same attributes)"] == 92  # Smiling, column c3
    assert len(list((tmp_path / "cache" / "models").glob("cnnaa-celeba-*.pt"))) == 3
    rows = cl._celeba(summary)
    assert [r.id for r in rows] == ["B1 MultiDeep", "B1 MultiDeep heads", "B1 BinaryDeep"]
    assert all(r.judgement.verdict in C.VERDICTS for r in rows)
    assert cl._celeba(None)[0].judgement.verdict == "not testable here"


def test_mean_accuracy_interval() -> None:
    right = np.array([[1, np.nan], [0, np.nan], [1, np.nan], [1, np.nan]])
    mean, (lo, hi) = cc.mean_accuracy(right, 200)
    assert mean == 75.0 and 0 <= lo <= mean <= hi <= 100


TRAIN = """
import json, resource, sys
import torch
from facerobust.experiments.continuous_auth import celeba_cnnaa as cc

torch.set_num_threads(1)
split = cc.load_split(sys.argv[1], "train")
spec = cc.specs(["Deep"], ["Mouth"], [])[0]
cc.train(cc.make_net(spec), split, spec, steps=20, batch=16, lr=3e-4, seed=0, workers=2)
usage = resource.getrusage
print(json.dumps({"n": len(split.images), "self_mb": usage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_mb": usage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


@pytest.mark.slow
def test_peak_rss_of_cnnaa_training_does_not_grow_with_images(tmp_path: Path) -> None:
    small = peak_of(TRAIN, write_celeba(tmp_path / "c200", 200))
    large = peak_of(TRAIN, write_celeba(tmp_path / "c2000", 2000))
    print(f"\npeak RSS, 20 CNNAA steps (streamed crops, batch 16, 2 workers): {small} vs {large}")
    assert (small["n"], large["n"]) == (160, 1600)
    assert abs(large["self_mb"] / small["self_mb"] - 1) <= 0.10
    assert abs(large["worker_mb"] / small["worker_mb"] - 1) <= 0.10
