"""The ``device`` parameter: ``auto`` resolves to CUDA, MPS or the CPU; an explicit ``cpu`` gives
the same networks as ``auto`` here; a static check over ``lib/`` that tensors are created on the
device of the computation (``device=`` or a ``*_like`` factory), not on the CPU by default; and a
run of representative attacks, defenses and metrics that records every tensor factory the library
calls without a device.

Seeded draws name the generator's device (``torch.randn(..., generator=g, device=g.device)``,
then ``.to(x.device)``): a CPU generator cannot draw on a GPU, and drawing on it keeps the numbers
the same on every device. No line of ``lib/`` needs an exemption from these tests.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from facerobust import device, fanout
from facerobust.data.types import AttributeSet
from facerobust.experiments.attributes import training
from torch import nn
from torch.overrides import TorchFunctionMode

LIB = Path(__file__).resolve().parents[1] / "lib" / "facerobust"
FACTORIES = {"zeros", "ones", "full", "empty", "rand", "randn", "randint", "randperm", "arange", "linspace",
             "logspace", "eye", "tensor", "as_tensor", "normal", "bernoulli"}
# Where a tensor without device= is right: the data layer builds CPU tensors by contract (the
# consumer moves each batch to the model's device).
EXEMPT_DIRS = ("data/",)


def _exempt_context(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Inside ``__init__`` or a ``register_buffer``/``Parameter`` call: moved by ``module.to``."""
    p = parents.get(node)
    while p is not None:
        if isinstance(p, ast.FunctionDef) and p.name == "__init__":
            return True
        if isinstance(p, ast.Call) and isinstance(p.func, ast.Attribute | ast.Name):
            name = p.func.attr if isinstance(p.func, ast.Attribute) else p.func.id
            if name in ("register_buffer", "Parameter"):
                return True
        p = parents.get(p)
    return False


def offenders(path: Path, root: Path = LIB) -> list[str]:
    """``torch.<factory>(...)`` calls without ``device=`` outside module construction."""
    tree = ast.parse(path.read_text())
    parents = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    out = []
    for n in ast.walk(tree):
        if (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in FACTORIES
                and isinstance(n.func.value, ast.Name) and n.func.value.id == "torch"
                and not any(k.arg == "device" for k in n.keywords) and not _exempt_context(n, parents)):
            out.append(f"{path.relative_to(root)}:{n.lineno}: torch.{n.func.attr}")
    return out


def test_static_no_default_device_tensors() -> None:
    found: dict[str, list[str]] = {}
    for path in sorted(LIB.rglob("*.py")):
        rel = str(path.relative_to(LIB))
        if not rel.startswith(EXEMPT_DIRS):
            if hits := offenders(path):
                found[rel] = hits
    new = [h for hits in found.values() for h in hits]
    assert not new, "tensor factories without device= (device=x.device or *_like):\n" + "\n".join(new)


def test_offender_scan_sees_what_it_should(tmp_path: Path) -> None:
    code = ("import torch\nclass M(torch.nn.Module):\n    def __init__(self):\n"
            "        self.register_buffer('m', torch.zeros(3))\n"
            "def f(x):\n    a = torch.zeros(3)\n    b = torch.zeros(3, device=x.device)\n"
            "    return torch.zeros_like(x) + torch.randn(2)\n")
    (tmp_path / "bad.py").write_text(code)
    assert offenders(tmp_path / "bad.py", tmp_path) == ["bad.py:6: torch.zeros", "bad.py:8: torch.randn"]


def test_resolve() -> None:
    want = "cuda" if torch.cuda.is_available() else "mps" if device._mps_available() else "cpu"
    assert device.resolve("auto").type == device.resolve(None).type == want
    assert device.resolve("cpu") == torch.device("cpu") == device.resolve(torch.device("cpu"))
    for bad in ("gpu0", "", 3, "meta"):
        with pytest.raises(ValueError, match="device"):
            device.resolve(bad)  # type: ignore[arg-type]
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            device.resolve("cuda")
    assert device.of(torch.nn.Linear(2, 2)) == torch.device("cpu") == device.of(torch.nn.ReLU())


def _tiny_sets() -> tuple[AttributeSet, AttributeSet]:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(96, 1, 28, 28, generator=g)
    a = torch.where(x.mean((1, 2, 3))[:, None] > torch.tensor([0.49, 0.5, 0.51]), 1, -1)
    names = ("A", "B", "C")
    return AttributeSet(x[:64], a[:64], names), AttributeSet(x[64:], a[64:], names)


def test_explicit_cpu_equals_auto_here() -> None:
    train, valid = _tiny_sets()
    cfg = training.TrainConfig(arch="small", lr=1e-3, rms_decay=0.99, lr_gamma=1e-4, lr_power=0.75, batch=16,
                               max_epochs=2, patience=1, seed=0)
    u_cpu, u_auto = (training.unit("softmax", train, valid, cfg, d) for d in ("cpu", "auto"))
    s_cpu, h_cpu = fanout.train_one(u_cpu.make, u_cpu.fit, 1)
    s_auto, h_auto = fanout.train_one(u_auto.make, u_auto.fit, 1)
    if device.resolve("auto").type == "cpu":
        assert all(torch.equal(s_cpu[k], s_auto[k]) for k in s_cpu)
        assert h_cpu["val_error"] == h_auto["val_error"]


# -- dynamic check: which factories does the library call without a device? ---------------------
# A meta-device input cannot be used: every public function validates its input's values (finite,
# in [0, 1]), and a meta tensor holds none (``Tensor.item() cannot be called on meta tensors``), and
# PASS runs OpenCV on the pixels. So the run is on CPU inputs, and a TorchFunctionMode records each
# factory called from ``lib/`` (outside ``data/``) without a device: on a GPU input, each such call
# would be a CPU tensor.
_FACTORY_FUNCS = {getattr(torch, name) for name in FACTORIES}


class _DefaultDeviceFactories(TorchFunctionMode):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if func in _FACTORY_FUNCS and kwargs.get("device") is None:
            caller = sys._getframe(1)
            path = Path(caller.f_code.co_filename).resolve()
            # as in the static check, a module's constructor builds its buffers on the CPU (moved by
            # ``module.to``): chapters 0 and 8 load their pretrained models inside their stages
            if (path.is_relative_to(LIB) and not str(path.relative_to(LIB)).startswith(EXEMPT_DIRS)
                    and caller.f_code.co_name != "__init__"):
                self.calls.append(f"{path.relative_to(LIB)}:{caller.f_lineno}: torch.{func.__name__}")
        return func(*args, **kwargs)


def _representative_runs() -> dict[str, Callable[[], object]]:
    from facerobust.attacks import advhat as ah
    from facerobust.attacks.apgd import apgd, apgd_t
    from facerobust.attacks.cw import cw_l2
    from facerobust.attacks.deepfool import deepfool
    from facerobust.attacks.fgsm import fgsm, rand_fgsm
    from facerobust.attacks.k_anonymity import assign_groups, k_anonymity
    from facerobust.attacks.pgd import pgd
    from facerobust.attacks.square import square
    from facerobust.attacks.transfer import transfer
    from facerobust.attacks.worst_case import robust_accuracy, standard
    from facerobust.defenses.adversarial_training import train_classifier
    from facerobust.defenses.defense_gan import DefenseGAN
    from facerobust.defenses.madry import train_pgd
    from facerobust.experiments.report_card import curves, prechecks
    from facerobust.experiments.report_card.targets import AttackSettings, Part, Target
    from facerobust.metrics.pass_score import pass_scores
    from facerobust.metrics.ssim import ms_ssim, ssim
    from facerobust.models.gan import Generator

    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4, 1, 28, 28, generator=g)
    y = torch.tensor([0, 1, 2, 3])
    model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 5)).eval()
    defense = DefenseGAN(Generator(width=4), L=2, R=2)
    face, sticker = torch.rand(1, 3, 40, 40, generator=g), torch.rand(3, 8, 18, generator=g)
    src, dst = ah.Frame(40, 0.6), ah.Frame(28, 0.25)
    card_target = Target("t", "t", "digits", "test", 5, (Part(model, x, y),),
                         AttackSettings(2, 0, 0, cw_binary=1, cw_steps=2))
    return {
        "fgsm": lambda: fgsm(model, x, y, eps=0.1),
        "rand_fgsm": lambda: rand_fgsm(model, x, y, eps=0.1, alpha=0.05, generator=g),
        "deepfool": lambda: deepfool(model, x, y, steps=3),
        "cw_l2": lambda: cw_l2(model, x, y, binary_steps=1, steps=3),
        "k_anonymity": lambda: k_anonymity(model, x, y, k=assign_groups(4, 2, g), steps=2),
        "pgd": lambda: pgd(model, x, y, eps=0.1, norm="L2", steps=2, step_size=0.05, restarts=2, generator=g),
        "apgd": lambda: (apgd(model, x, y, eps=0.1, steps=3, loss="dlr", generator=g),
                         apgd_t(model, x, y, eps=0.1, steps=2, n_target_classes=2, generator=g)),
        "square": lambda: (square(model, x, y, eps=0.1, queries=4, generator=g),
                           square(model, x, y, eps=0.5, norm="L2", queries=4, generator=g)),
        "robust_accuracy": lambda: robust_accuracy(model, x, y, standard(0.1, steps=2, queries=3),
                                                   generator=g),
        "defense_gan": lambda: (defense.project(x), defense(x.clone().requires_grad_(True))),
        "adversarial_training": lambda: train_classifier(model, x, y, epochs=1, batch=2, adv_eps=0.1),
        "pgd_training": lambda: train_pgd(model, x, y, eps=0.1, steps=2, step_size=0.05, epochs=1, batch=2),
        "transfer": lambda: transfer(model, x, y, source=model, attack=apgd, eps=0.1, steps=2, generator=g),
        "report_card": lambda: (prechecks.run(model, None, x, y), curves.minimal_l2(card_target, seed=0),
                                curves.curve(card_target, [0.1], seed=0)),
        "advhat_render": lambda: ah.render(face, sticker, ah.sample(ah.EOT.official(), 2, g), src, dst),
        "pass_score": lambda: pass_scores(x.flip(-1), x, threads=1),
        "ssim": lambda: (ssim(x, x.flip(-1), win_size=7), ms_ssim(x, x.flip(-1), scales=2, win_size=7)),
    }


def test_dynamic_no_default_device_tensors() -> None:
    runs = _representative_runs()
    mode = _DefaultDeviceFactories()
    with mode:
        for run in runs.values():
            run()
    assert not mode.calls, "tensor factories called without a device:\n" + "\n".join(sorted(set(mode.calls)))


def test_dynamic_check_sees_a_default_device_factory() -> None:
    """Counted: a library line (here a probe compiled under ``lib/``) without a device, or with
    ``device=None``; not counted: ``device=`` given, or a call from outside the library."""
    src = ("import torch\ndef f(x):\n    a = torch.zeros(3)\n    b = torch.ones(2, device=x.device)\n"
           "    return torch.randn(2, device=None)\n")
    ns: dict[str, Any] = {}
    exec(compile(src, str(LIB / "attacks" / "_probe.py"), "exec"), ns)
    mode = _DefaultDeviceFactories()
    with mode:
        torch.zeros(3)
        ns["f"](torch.zeros(1))
    assert mode.calls == ["attacks/_probe.py:3: torch.zeros", "attacks/_probe.py:5: torch.randn"]


def test_threads_sets_and_restores() -> None:
    before = torch.get_num_threads()
    with device.threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), device.threads(1):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == before
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="threads must be a positive integer"), device.threads(bad):  # type: ignore[arg-type]
            pass


# -- chapters 1-3: training, attacks, tables, portability and real faces follow the device -------------


class _ScoredFace:
    """A tiny real-face stand-in: a linear score of the chip on its network's device."""

    name, attribute, input_size, chip_padding = "Male/tiny", "Male", 16, 0.25

    def __init__(self, dev: torch.device) -> None:
        torch.manual_seed(0)
        self.model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 16 * 16, 1)).to(dev)

    def score(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x - 0.5).squeeze(1)


def _attribute_chapters(dev: torch.device) -> dict[str, Callable[[], object]]:
    """Chapters 1-3's stages on tiny data, networks on ``dev`` and inputs on the CPU (as the data
    layer gives them): each stage must move what it computes on to the networks' device."""
    import pandas as pd
    from facerobust.experiments.attributes import adversarial, portability, real_faces, tables

    train, valid = _tiny_sets()
    cfg = training.TrainConfig(arch="small", lr=1e-3, rms_decay=0.99, lr_gamma=1e-4, lr_power=0.75, batch=16,
                               max_epochs=2, patience=1, seed=0)
    u = training.unit("euclidean", train, valid, cfg, str(dev))
    snaps = {loss: (training.unit(loss, train, valid, cfg, str(dev)).make().to(dev).eval(), {})
             for loss in training.LOSSES}
    attack = adversarial.AttackConfig(n_attack=4, w0=4.0, w_max=64.0, tol=8.0, seed=0)
    data = {"train": train, "valid": valid, "test": valid}
    res = adversarial.attack_training_sample(snaps, train, attack)
    face = _ScoredFace(dev)
    chips = (torch.rand(3, 3, 16, 16, generator=torch.Generator().manual_seed(2)) * 255).round() / 255
    labels = pd.DataFrame({"gender": ["male", "female", "male"]})
    faces = lambda size, pad: type("F", (), {"x": chips, "labels": labels})()  # noqa: E731
    search = real_faces.LineSearch(w0=4.0, w_max=64.0, tol=8.0)
    return {
        "rozsa_training": lambda: fanout.train_one(u.make, u.fit, 1),
        "rozsa_errors": lambda: tables.error_table(snaps, data),
        "rozsa_attacks": lambda: adversarial.attack_training_sample(snaps, train, attack),
        "rozsa_portability": lambda: portability.portability(res, snaps["euclidean"][0].converged, "epoch2",
                                                             train.names),
        "rozsa_real_faces": lambda: real_faces.transfer(
            {"m": face}, real_faces.attack_models({"m": face}, faces, search)[1]),
    }


# -- chapters 0, 8 and 9: pretrained models, stickers, classifiers and attacks follow the device ------------


def _setup_chapter(dev: torch.device) -> dict[str, Callable[[], object]]:
    """Chapter 0's stages on the real faces (a few), every model on ``dev``."""
    from facerobust.experiments import faces_overview

    return {
        "setup_model_scores": lambda: faces_overview.model_scores(2, ["Male/dlib"], device=dev),
        "setup_distances": lambda: faces_overview.identity_distances(("obama1", "biden"), device=dev),
    }


def _advhat_context(dev: torch.device) -> Any:
    """A chapter 8 context on two random 220-px 'faces' with a tiny descriptor on ``dev``."""
    import pandas as pd
    from facerobust.attacks import advhat as ah
    from facerobust.data.faces import FaceSet
    from facerobust.experiments.advhat import setup

    torch.manual_seed(0)
    model = nn.Sequential(nn.AvgPool2d(10), nn.Flatten(), nn.Linear(3 * 15 * 15, 8)).to(dev)
    g = torch.Generator().manual_seed(0)
    faces = FaceSet(torch.rand(2, 3, 220, 220, generator=g),
                    pd.DataFrame({"face_id": ["a", "b"], "identity": ["", ""]}), 220, 0.6)
    cfg = setup.Config(faces=("a",), sticker_h=8, sticker_w=18, eot_batch=1, w_tv=1e-5, window=1,
                       min_steps=(1, 1), max_steps=(1, 1), n_heldout=2, seed=0)
    plain = ah.crop(faces.x, ah.Placement.default(2), setup.SRC, setup.DST)
    anchors = model(plain.to(dev)).detach().cpu()
    heldout = ah.sample(ah.EOT.official(), 2, g)
    return setup.Context(model, faces, ["a"], anchors, setup.attack_config(cfg), 0, heldout, dev)


def _advhat_chapter(dev: torch.device) -> dict[str, Callable[[], object]]:
    """Chapter 8's stages: the descriptor on ``dev``, chips, anchors and stickers on the CPU."""
    from facerobust.experiments.advhat import evaluate, setup

    ctx = _advhat_context(dev)
    grey = torch.full((3, 8, 18), 127 / 255)
    return {
        "advhat_sticker_run": lambda: setup.sticker_run(ctx, "a", "device-test"),
        "advhat_similarity": lambda: evaluate.similarity(ctx, "a", {"grey": grey}, ctx.heldout),
        "advhat_gradient_scale": lambda: evaluate.gradient_scale(ctx, "a", n=2),
    }


def _k_anonymity_setting(dev: torch.device) -> Any:
    from facerobust.experiments.k_anonymity import Budget, Setting

    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 4)).to(dev).eval()
    x = torch.rand(4, 1, 28, 28, generator=g)
    with torch.no_grad():
        y = model(x.to(dev)).argmax(1).cpu()  # correctly classified, as the chapter attacks them
    budget = Budget(lbfgs_search=1, lbfgs_iters=2, cw_binary_steps=1, cw_steps=2, cw_lr=0.05,
                    deepfool_candidates=3, ka_steps=2, ka_lr=0.1)
    return Setting("tiny / linear", model, x, y, ("0", "1", "2", "3"), "SSIM", budget)


def _k_anonymity_chapter(dev: torch.device) -> dict[str, Callable[[], object]]:
    """Chapter 9's stages: a classifier trained on ``dev`` from CPU images, the attacks and the
    summary of a setting whose model is on ``dev`` and whose images are on the CPU."""
    from facerobust.data.types import ImageSet
    from facerobust.experiments.k_anonymity import attack_all, stages, summary_table, training

    g = torch.Generator().manual_seed(1)
    data = ImageSet(torch.rand(8, 1, 28, 28, generator=g), torch.arange(8) % 10, tuple("0123456789"), "tiny")
    u = stages.classifier_unit("k-anon-test", training.lenet5, data, training.ClassifierConfig(8, 1, 1e-3, 0),
                               str(dev))
    s = _k_anonymity_setting(dev)
    return {
        "k_anonymity_training": lambda: fanout.train_one(u.make, u.fit, 1),
        "k_anonymity_attacks": lambda: summary_table(attack_all(s, (1,), 0)),
    }


def _chapters_0_8_9(dev: torch.device) -> dict[str, Callable[[], object]]:
    return {**_setup_chapter(dev), **_advhat_chapter(dev), **_k_anonymity_chapter(dev)}


def test_k_anonymity_results_come_back_to_the_cpu() -> None:
    from facerobust.experiments.k_anonymity import attack_all

    s = attack_all(_k_anonymity_setting(device.resolve("auto")), (1,), 0)
    assert set(s.results) == {"L-BFGS", "DeepFool", "C&W", "K-anon. K=1", "K-anon. K=1, no CW-SSIM"}
    for r in s.results.values():
        tensors = [r.x_adv, r.success, *(v for v in r.info.values() if isinstance(v, torch.Tensor))]
        assert all(t.device.type == "cpu" for t in tensors)


def test_k_anonymity_classifier_explicit_cpu_equals_auto_here() -> None:
    from facerobust.data.types import ImageSet
    from facerobust.experiments.k_anonymity import stages, training

    g = torch.Generator().manual_seed(1)
    data = ImageSet(torch.rand(8, 1, 28, 28, generator=g), torch.arange(8) % 10, tuple("0123456789"), "tiny")
    cfg = training.ClassifierConfig(8, 1, 1e-3, 0)
    u_cpu, u_auto = (stages.classifier_unit("k", training.lenet5, data, cfg, d) for d in ("cpu", "auto"))
    assert cache_key(u_cpu) == cache_key(u_auto)  # the device is not part of the key
    s_cpu, _ = fanout.train_one(u_cpu.make, u_cpu.fit, 1)
    s_auto, _ = fanout.train_one(u_auto.make, u_auto.fit, 1)
    if device.resolve("auto").type == "cpu":
        assert all(torch.equal(s_cpu[k], s_auto[k]) for k in s_cpu)


def cache_key(u: fanout.Unit) -> str:
    from facerobust import cache

    return cache.key(u.name, u.config, u.make, u.fit)


# -- chapters 4-6: the trainings (CNNAA, CRISPR, ExplainGAN and its black box) follow the device ----------


class _Brightness(nn.Module):
    """A black box that predicts both classes on random images: brighter than average is class 1."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = x.mean((1, 2, 3)) - 0.5
        return torch.stack([-m, m], 1)


def _chapters_4_6(dev: torch.device) -> dict[str, Callable[[], object]]:
    """Chapters 4-6's training units on tiny data, built for ``dev``, with CPU data (as the data layer
    gives it): each must move what it computes on to the networks' device."""
    from facerobust.data.types import ImageSet
    from facerobust.experiments.continuous_auth import cnnaa_run
    from facerobust.experiments.crispr import setup as crispr_setup
    from facerobust.experiments.crispr import training as crispr_training
    from facerobust.experiments.explaingan import blackbox, zoo
    from facerobust.experiments.explaingan import data as eg_data
    from facerobust.experiments.explaingan import training as eg_training

    g = torch.Generator().manual_seed(0)
    cfg = crispr_training.CrisprConfig(p=4, q=2, width=4, hidden=8, batch=4, iters=1)
    sample = crispr_setup.batch_sampler(torch.rand(20, 1, 32, 32, generator=g), cfg.batch)
    crispr_unit = crispr_training.unit("crispr-device", cfg, sample, {}, dev)
    sets = [ImageSet(torch.rand(n, 1, 28, 28, generator=g), torch.arange(n) % 2, ("a", "b"))
            for n in (12, 12, 6, 8)]
    pair = eg_data.PairData("toy", "mnist5k", ("a", "b"), *sets)
    bb_unit = blackbox.unit(pair, epochs=1)
    eg_cfg = eg_training.TrainConfig(steps=2, batch=2, width=4, z_dim=4)
    eg_unit = zoo.unit(zoo.Job(eg_data.to_device(pair, dev), _Brightness().to(dev), eg_cfg, 1), dev)
    w, h, _ = cnnaa_run.cnnaa.REGIONS["Nose"]
    x, y = torch.rand(8, 3, h, w, generator=g), torch.randint(0, 2, (8, 2), generator=g)
    nets = {"crispr": crispr_unit.make(), "bb": bb_unit.make(), "eg": eg_unit.make(),
            "cnnaa": cnnaa_run._net("Nose", 2, dev)}  # built here: construction is moved by .to(dev)
    return {
        "crispr_training": lambda: crispr_unit.fit(nets["crispr"]),
        "explaingan_blackbox": lambda: blackbox.frozen((bb_unit.fit(nets["bb"]), nets["bb"])[1], dev),
        "explaingan_training": lambda: eg_unit.fit(nets["eg"]),
        "cnnaa_training": lambda: cnnaa_run.train(nets["cnnaa"], x, y, steps=2, batch=4, lr=1e-3, seed=0),
    }


# -- chapter 7 (Defense-GAN): its trainings and attacks follow the device -----------------------------


def _defense_gan_chapter(dev: torch.device) -> dict[str, Callable[[], object]]:
    """Chapter 7's stages on a tiny MNIST-5k zoo trained on ``dev`` (the cache must be a temporary
    folder): training, the white-box and the black-box experiments on ``dev``."""
    from facerobust.experiments.defense_gan import blackbox_exp, whitebox_exp, zoo

    p = {"seed": 0, "n_train_mnist": 100, "n_train_fashion": 100, "n_test_mnist": 4, "n_test_fashion": 4,
         "mnist_root": None, "gan_width": 4, "gan_latent": 128, "gan_iters_mnist": 2, "gan_iters_fashion": 2,
         "budget_snapshots": [], "classifiers": ["A"], "epochs": 1, "adv_eps": [0.3], "adv_epochs": 1,
         "n_rec_train": 8, "rec_train_L": 2, "rec_train_R": 1, "rec_epochs": 1, "substitutes": ["E"],
         "sub_rounds": 1, "sub_lambda": 0.1, "sub_epochs": 1, "magnet_epochs": 1,
         "device": str(dev)}
    wb = {"eps": 0.3, "L_whitebox": 2, "R_whitebox": 1, "cw_steps": 2, "cw_c": 100.0, "cw_lr": 10.0,
          "L_cw": 2, "R_cw": 1, "n_whitebox": 3, "wb_chunk": 2}
    bb = {"eps": 0.3, "L": 2, "R": 1, "R_max": 2, "L_grid": [1, 2]}
    got: dict[str, zoo.Bundle] = {}
    wb_cfg = whitebox_exp.WhiteBoxConfig.from_params(p | wb)
    bb_cfg = blackbox_exp.BlackBoxConfig.from_params(p | bb)
    return {
        "dgan_training": lambda: got.update(zoo.prepare_all(["mnist5k"], zoo.ZooConfig.from_params(p))),
        "dgan_whitebox": lambda: whitebox_exp.run(got["mnist5k"], wb_cfg),
        "dgan_blackbox": lambda: blackbox_exp.run(got["mnist5k"], bb_cfg),
    }


# -- every chapter's stages, on the device the machine has and on CUDA where there is one ----------------
CHAPTER_STAGES: dict[str, Callable[[torch.device], dict[str, Callable[[], object]]]] = {
    "chapters 0, 8, 9": _chapters_0_8_9,
    "chapters 1-3": _attribute_chapters,
    "chapters 4-6": _chapters_4_6,
    "chapter 7": _defense_gan_chapter,
}


@pytest.mark.parametrize("chapters", CHAPTER_STAGES)
def test_chapter_stages_create_no_default_device_tensors(chapters: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACEROBUST_CACHE", str(tmp_path))  # entries the stages train (stickers, Defense-GAN)
    runs = CHAPTER_STAGES[chapters](device.resolve("auto"))
    mode = _DefaultDeviceFactories()
    with mode:
        for run in runs.values():
            run()
    assert not mode.calls, "tensor factories called without a device:\n" + "\n".join(sorted(set(mode.calls)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (runs where a task has a GPU)")
@pytest.mark.parametrize("chapters", CHAPTER_STAGES)
def test_chapter_stages_run_on_cuda(chapters: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a GPU, every chapter's stages run with their networks on CUDA and CPU inputs."""
    monkeypatch.setenv("FACEROBUST_CACHE", str(tmp_path))
    for run in CHAPTER_STAGES[chapters](torch.device("cuda")).values():
        run()
