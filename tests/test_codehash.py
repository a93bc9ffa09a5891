"""The import closure of a module or callable inside facerobust (codehash), and the cache keys built
on it: an edit inside a producing function's closure changes its model's key, one outside does not."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import textwrap
from functools import partial
from pathlib import Path

import pytest
import torch
from facerobust import cache, codehash
from facerobust.experiments.attributes import training as attr_training
from facerobust.experiments.crispr import setup as crispr_setup
from facerobust.experiments.crispr import training as crispr_training

LIB = Path(codehash.__file__).resolve().parents[1]


def test_closure_follows_facerobust_imports_only() -> None:
    got = codehash.closure("facerobust.experiments.crispr.setup")
    assert "facerobust.data.synthetic_styles" in got  # from ...data import synthetic_styles
    assert "facerobust.cache" in got and "facerobust.paths" in got  # transitively
    assert {"facerobust", "facerobust.experiments", "facerobust.experiments.crispr"} <= set(got)  # parents
    assert not any(m.split(".")[0] != "facerobust" for m in got)  # torch, numpy: not followed
    assert list(got) == sorted(got)


def test_a_parent_package_counts_with_its_source_only() -> None:
    """models/__init__ re-exports the face models: a module of the package does not depend on them,
    a module that takes a name from the package itself does."""
    small = codehash.closure("facerobust.models.small_nets")
    assert "facerobust.models" in small and "facerobust.models.face_descriptor" not in small
    from_face = codehash.imports_of(ast.parse("from facerobust.models import MATCH_THRESHOLD"))
    assert from_face == ("facerobust.models",)
    assert "facerobust.models.face_descriptor" in codehash.closure("facerobust.models")


def test_relative_and_lazy_imports() -> None:
    tree = ast.parse(textwrap.dedent("""
        from . import training
        from ..claims import Paper
        from ...models import crispr as cr

        def later():
            from ...attacks.cw import cw_l2
    """))
    got = codehash.imports_of(tree, "facerobust.experiments.crispr.setup")
    assert got == ("facerobust.attacks.cw", "facerobust.experiments.claims",
                   "facerobust.experiments.crispr.training", "facerobust.models.crispr")


def test_data_files_beside_a_module_count() -> None:
    blob, _ = codehash._read("facerobust.data.assets")
    assert (LIB / "facerobust" / "data" / "assets.json").read_bytes() in blob


def _local(x: int) -> int:
    return x


def test_callables_unwrap_to_their_modules() -> None:
    sample = crispr_setup.batch_sampler(torch.zeros(4, 1, 32, 32), 2)  # a closure of crispr/setup.py
    fit = partial(crispr_training.fit, sample=sample)
    assert codehash.modules_of(fit) == ("facerobust.experiments.crispr.setup",
                                        "facerobust.experiments.crispr.training")
    assert codehash.modules_of(lambda: crispr_setup.Oracle()) == ()  # a test's lambda: its own source
    assert codehash.digest(_local) != codehash.digest(test_callables_unwrap_to_their_modules)
    assert codehash.digest(fit) == codehash.digest(partial(crispr_training.fit, sample=sample))
    seen: list[object] = []
    codehash.digest(partial(_local, torch.ones(2)), leaf=seen.append)
    assert len(seen) == 1 and torch.equal(seen[0], torch.ones(2))  # type: ignore[arg-type]


def test_notebook_imports() -> None:
    text = "import facerobust as fr\nfrom facerobust import params, session\n%matplotlib inline\n"
    assert codehash.imports_of_source(text) == ("facerobust", "facerobust.params", "facerobust.session")


# -- acceptance: edit a temporary copy of the package, recompute the keys ------------------------
KEYS = """
import json, sys, torch
from facerobust import cache
from facerobust.data.types import AttributeSet
from facerobust.experiments.attributes import training as attr_training
from facerobust.experiments.crispr import setup as crispr_setup, training as crispr_training
from facerobust.experiments.k_anonymity import training as k_anonymity
from facerobust.models import small_nets

def key(u):
    return cache.key(u.name, u.config, u.make, u.fit)

g = torch.Generator().manual_seed(0)
x, a = torch.rand(8, 1, 28, 28, generator=g), torch.ones(8, 2, dtype=torch.long)
data = AttributeSet(x, a, ("A", "B"))
cfg = attr_training.TrainConfig("small", 1e-3, 0.99, 1e-4, 0.75, 4, 1, 1, 0)
crispr = crispr_training.unit("crispr-styled", crispr_training.CrisprConfig(iters=1),
                              crispr_setup.batch_sampler(torch.zeros(4, 1, 32, 32), 2), {"data": "t"})
print(json.dumps({
    "chapter 1 bank": key(attr_training.unit("euclidean", data, data, cfg)),
    "CRISPR model": key(crispr),
    "k-anonymity classifier": cache.key("k", {}, small_nets.lenet5, k_anonymity.classifier_fit(
        torch.rand(4, 1, 28, 28, generator=g), torch.zeros(4, dtype=torch.long), 1, 1e-3, 0)),
}))
"""

# (file edited, function whose definition gets a new function before it, keys that must change)
EDITS = [
    ("data/synthetic_styles.py", "compose", {"CRISPR model"}),
    ("attacks/attribute_directions.py", "ffa_direction", set()),  # FFA: no model's key
    ("models/attribute_nets.py", "pair_loss", {"chapter 1 bank"}),  # the training loss
    ("models/crispr_losses.py", "recon", {"CRISPR model"}),
    ("models/small_nets.py", "fit_classifier", {"k-anonymity classifier"}),
    ("attacks/cw.py", "cw_l2", set()),  # attacked by k-anonymity, never trains its classifier
]


def _keys(root: Path, tmp: Path) -> dict[str, str]:
    env = {"PYTHONPATH": str(root), "FACEROBUST_CACHE": str(tmp / "cache"), "PATH": "/usr/bin:/bin",
           "OMP_WAIT_POLICY": "PASSIVE"}
    out = subprocess.run([sys.executable, "-c", KEYS], env=env, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_an_edit_in_a_closure_changes_the_key_and_one_outside_does_not(tmp_path: Path) -> None:
    base = tmp_path / "base"
    shutil.copytree(LIB / "facerobust", base / "facerobust", ignore=shutil.ignore_patterns("__pycache__"))
    before = _keys(base, tmp_path)
    assert len(set(before.values())) == len(before)
    for rel, func, changes in EDITS:
        copy = tmp_path / rel.replace("/", "_")
        shutil.copytree(base, copy)
        path = copy / "facerobust" / rel
        src = path.read_text()
        assert f"\ndef {func}(" in src, (rel, func)
        edited = f"\ndef _edited() -> None:\n    pass\n\n\ndef {func}("
        path.write_text(src.replace(f"\ndef {func}(", edited, 1))
        after = _keys(copy, tmp_path)
        changed = {k for k in before if before[k] != after[k]}
        assert changed == changes, f"editing {rel}:{func} changed {changed or 'nothing'}, expected {changes}"


def test_the_closure_of_the_chapter_1_bank_holds_no_attack() -> None:
    """The same, statically: what keys chapter 1's networks never reaches an attack module."""
    g = torch.Generator().manual_seed(0)
    from facerobust.data.types import AttributeSet

    data = AttributeSet(torch.rand(4, 1, 28, 28, generator=g), torch.ones(4, 1, dtype=torch.long), ("A",))
    cfg = attr_training.TrainConfig("small", 1e-3, 0.99, 1e-4, 0.75, 4, 1, 1, 0)
    u = attr_training.unit("softmax", data, data, cfg)
    modules = {m for name in codehash.modules_of(u.make, u.fit) for m in codehash.closure(name)}
    assert "facerobust.models.attribute_nets" in modules
    assert not any(m.startswith("facerobust.attacks") for m in modules)
    k1 = cache.key(u.name, u.config, u.make, u.fit)
    data2 = AttributeSet(data.x.flip(0), data.a, ("A",))  # other images: another key
    u2 = attr_training.unit("softmax", data2, data2, cfg)
    assert cache.key(u2.name, u2.config, u2.make, u2.fit) != k1


def test_runner_digest_covers_the_notebooks_imports_only() -> None:
    """A chapter re-runs when the code it imports (its closure), its params file or the asset manifest
    changes; Defense-GAN's code is not in chapter 1's closure."""
    from facerobust import chapter_keys

    nb = LIB.parent / "notebooks" / "01_attribute_networks.py"
    mods = {m for name in codehash.imports_of_source(nb.read_text()) for m in codehash.closure(name)}
    assert "facerobust.experiments.attributes.training" in mods and "facerobust.models.attribute_nets" in mods
    assert not any(m.startswith("facerobust.experiments.defense_gan") for m in mods)
    digest = chapter_keys.digest(nb, "ci", {})
    assert digest == chapter_keys.digest(nb, "ci", {}) != chapter_keys.digest(nb, "default", {})
