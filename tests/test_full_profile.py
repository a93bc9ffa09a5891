"""Chapters 01-03 on the ``full`` profile over a generated CelebA-format folder (300 images,
218x178 JPEGs, the official attribute and partition files): the chapters run end to end with
``cluster: local`` (Ray), read CelebA through the streaming path, train and cache the networks
and produce their tables. Overrides keep it to minutes: a small network on 32x32 crops, six
attributes, two epochs, 16 attacked images. The in-memory limit is set to 0 MB so that the
fixture, small as it is, takes the path the real 162,770-image split takes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

from celeba_fixture import write_celeba  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
COMMON = {"arch": "small", "image_size": "32", "max_epochs": "2", "threads": "1", "lr": "0.001",
          "attributes": "[Male, Eyeglasses, Smiling, Young, Bald, Wearing_Hat]", "cluster": "local"}
CHAPTERS = {
    "01_attribute_networks": {},
    "02_attribute_attacks": {"n_attack": "16"},
    "03_attribute_portability": {"n_attack": "16", "face_models": "[Male/dlib]"},
}


def _texts(nb: dict) -> str:
    out = []
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            for t in (o.get("text"), o.get("data", {}).get("text/plain")):
                out.append("".join(t) if isinstance(t, list) else t or "")
    return "\n".join(out)


@pytest.mark.slow
def test_full_profile_chapters_1_to_3_on_celeba_fixture(tmp_path: Path) -> None:
    root = write_celeba(tmp_path / "celeba", 300)
    env = dict(os.environ, FACEROBUST_CACHE=str(tmp_path / "cache"), FACEROBUST_MAX_IN_MEMORY_MB="0",
               OMP_NUM_THREADS="1", OMP_WAIT_POLICY="PASSIVE")
    for chapter, extra in CHAPTERS.items():
        out = tmp_path / f"{chapter}.ipynb"
        args = [a for k, v in (COMMON | extra | {"celeba_root": str(root)}).items() for a in ("-p", k, v)]
        run = subprocess.run([sys.executable, "-m", "facerobust.runner", f"notebooks/{chapter}.py",
                              "--profile", "full", *args, "-o", str(out), "--force"],
                             cwd=REPO, env=env, capture_output=True, text=True, timeout=1200)
        assert run.returncode == 0, f"{chapter}: {run.stderr[-2000:]}"
        text = _texts(json.loads(out.read_text()))
        assert "CelebA train: 240 images streamed from disk" in text, chapter
        assert "Paper vs this book" in out.read_text(), chapter
        assert "holds" in text or "inconclusive" in text, chapter  # the claims table came out
    assert len(list((tmp_path / "cache" / "models").glob("rozsa-*.pt"))) == 2  # trained once, on Ray
