"""No garbage in or out (issue 12): every public attack, defense, metric, loader and the runner
refuses bad input with a ``ValueError`` (or the loader's own error) whose message names the
problem, and writes nothing when it refuses."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from facerobust import cache, runner
from facerobust.attacks import adaptive, apgd, blackbox, cw, deepfool, fgsm, k_anonymity, lbfgs, pgd, square
from facerobust.attacks import attribute_directions as dirs
from facerobust.attacks import worst_case as wc
from facerobust.attacks.base import AttackResult
from facerobust.attacks.line_search import line_search
from facerobust.metrics import cw_ssim, pass_score, ranking, ssim
from facerobust.models import adapters
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
N, K = 6, 10


@pytest.fixture(autouse=True)
def _one_thread():  # tiny tensors
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, K)).eval()


class NaNModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = _model()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x) * torch.nan


class Bank(nn.Module):
    """Two linear 'attributes' on (1, 8, 8) images, raw outputs (N, A, 1)."""

    n_out, n_attributes = 1, 2

    def __init__(self, nan: bool = False) -> None:
        super().__init__()
        torch.manual_seed(1)
        self.v = nn.Parameter(torch.randn(2, 64) * 0.1)
        self.nan = nan

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim == 4:
            x = x.unsqueeze(1).expand(-1, 2, -1, -1, -1)
        f = (x.flatten(2) * self.v).sum(-1) - 0.5 * self.v.sum(-1)
        return (f * torch.nan if self.nan else f)[..., None]


def _x(n: int = N) -> torch.Tensor:
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(0))


def _y(n: int = N) -> torch.Tensor:
    return torch.arange(n) % K


def _ones(x: Any) -> torch.Tensor:
    return torch.ones(tuple(x.shape)) if hasattr(x, "shape") else torch.ones(N, 1, 8, 8)


SUB = _model(5)
KS = torch.full((N,), 2, dtype=torch.int64)

# name -> attack(model, x, y, **params), small budgets
ATTACKS: dict[str, Callable[..., AttackResult]] = {
    "fgsm": lambda m, x, y=None, **p: fgsm.fgsm(m, x, y, **{"eps": 0.1, **p}),
    "rand_fgsm": lambda m, x, y=None, **p: fgsm.rand_fgsm(m, x, y, **{"eps": 0.3, "alpha": 0.05, **p}),
    "blackbox_fgsm": lambda m, x, y=None, **p: blackbox.blackbox_fgsm(
        m, x, y, **{"substitute": SUB, "eps": 0.1, **p}
    ),
    "deepfool": lambda m, x, y=None, **p: deepfool.deepfool(m, x, y, **{"steps": 3, **p}),
    "cw_l2": lambda m, x, y=None, **p: cw.cw_l2(m, x, y, **{"binary_steps": 1, "steps": 3, **p}),
    "lbfgs": lambda m, x, y=None, **p: lbfgs.lbfgs(m, x, y, **{"search_steps": 1, "iters": 2, **p}),
    "k_anonymity": lambda m, x, y=None, **p: k_anonymity.k_anonymity(
        m, x, y, **{"k": KS[: len(x)] if len(x) <= N else KS, "steps": 2, "sim_weight": 0.0, **p}
    ),
    "pgd": lambda m, x, y=None, **p: pgd.pgd(m, x, y, **{"eps": 0.1, "steps": 2, "step_size": 0.05, **p}),
    "apgd": lambda m, x, y=None, **p: apgd.apgd(m, x, y, **{"eps": 0.1, "steps": 3, **p}),
    "apgd_t": lambda m, x, y=None, **p: apgd.apgd_t(m, x, y, **{"eps": 0.1, "steps": 2, "n_target_classes": 2,
                                                                **p}),
    "square": lambda m, x, y=None, **p: square.square(m, x, y, **{"eps": 0.1, "queries": 5, **p}),
}
BANK_ATTACKS: dict[str, Callable[..., AttackResult]] = {
    "flip_attack_fgs": lambda b, x, **p: dirs.flip_attack(b, x, **{"method": "fgs", "w_max": 8.0, **p}),
    "flip_attack_ffa": lambda b, x, **p: dirs.flip_attack(b, x, **{"method": "ffa", "w_max": 8.0, **p}),
    "line_search": lambda b, x, **p: line_search(
        lambda z: b(z)[..., :1, 0], x, _ones(x), **{"w_max": 8.0, **p}
    ),
}

BAD_BATCHES: dict[str, tuple[Callable[[], Any], str]] = {
    "nan pixels": (lambda: _x().index_put_((torch.tensor([0]),), torch.tensor(math.nan)), "NaN"),
    "0-255 floats": (lambda: _x() * 255, "0-255"),
    "negative values": (lambda: _x() - 0.5, r"\[0, 1\]"),
    "no batch dim": (lambda: _x()[0], "NCHW"),
    "HWC": (lambda: _x().permute(0, 2, 3, 1), "NHWC"),
    "empty batch": (lambda: _x()[:0], "empty"),
    "float64": (lambda: _x().double(), "float64"),
    "uint8": (lambda: (_x() * 255).to(torch.uint8), "uint8"),
    "not a tensor": (lambda: _x().numpy(), "torch.Tensor"),
}
BAD_LABELS: dict[str, tuple[Callable[[], Any], str]] = {
    "label = n_classes": (lambda: torch.full((N,), K, dtype=torch.int64), r"\[0, 10\)"),
    "label -1": (lambda: torch.full((N,), -1, dtype=torch.int64), ">= 0"),
    "ignore index -100": (lambda: torch.full((N,), -100, dtype=torch.int64), "ignore index"),
    "wrong shape": (lambda: _y(N - 1), "shape"),
    "float labels": (lambda: _y().float(), "int64"),
}
BAD_PARAMS: dict[str, list[tuple[str, Any]]] = {
    "fgsm": [("eps", math.nan), ("eps", math.inf), ("eps", -0.1), ("eps", 2.0), ("eps", True)],
    "rand_fgsm": [("alpha", math.nan), ("alpha", -0.1), ("eps", math.nan)],
    "blackbox_fgsm": [("eps", math.nan), ("eps", -1.0)],
    "deepfool": [
        ("overshoot", math.nan),
        ("overshoot", -1.0),
        ("candidates", 0),
        ("steps", -1),
        ("steps", 2.5),
    ],
    "cw_l2": [
        ("c", math.nan),
        ("c", math.inf),
        ("c", -1.0),
        ("kappa", math.nan),
        ("kappa", -1.0),
        ("lr", 0.0),
        ("lr", math.nan),
        ("steps", 0),
        ("binary_steps", True),
    ],
    "lbfgs": [("c", math.nan), ("c", 0.0), ("iters", 0), ("search_steps", -1)],
    "k_anonymity": [
        ("lr", math.nan),
        ("lr", -0.1),
        ("steps", -1),
        ("sim_weight", math.nan),
        ("sim_weight", -1.0),
        ("optimizer", "sgd"),
    ],
    "pgd": [("eps", math.nan), ("eps", -0.1), ("eps", 2.0), ("norm", "L1"), ("steps", 0),
            ("step_size", 0.0), ("step_size", math.inf), ("restarts", 0), ("restarts", 1.5),
            ("random_start", 1), ("loss", "dlr")],
    "apgd": [("eps", math.nan), ("eps", -0.1), ("norm", "linf"), ("steps", 0), ("restarts", 0),
             ("loss", "margin"), ("rho", 0.0), ("rho", 1.5), ("steps", True)],
    "apgd_t": [("eps", math.inf), ("n_target_classes", 0), ("n_target_classes", 2.0), ("steps", -1)],
    "square": [("eps", math.nan), ("eps", 1.5), ("norm", "L0"), ("queries", 0), ("p_init", 0.0),
               ("p_init", 1.5), ("rescale_schedule", "yes")],
}


def _no_write(tmp_path: Path) -> None:
    assert list(tmp_path.rglob("*")) == [], "nothing may be written when the input is refused"


# -- attacks -------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", BAD_BATCHES)
@pytest.mark.parametrize("name", ATTACKS)
def test_attack_refuses_bad_batch(name: str, case: str) -> None:
    make, msg = BAD_BATCHES[case]
    with pytest.raises(ValueError, match=msg):
        ATTACKS[name](_model(), make(), _y())


@pytest.mark.parametrize("case", BAD_BATCHES)
@pytest.mark.parametrize("name", BANK_ATTACKS)
def test_bank_attack_refuses_bad_batch(name: str, case: str) -> None:
    make, msg = BAD_BATCHES[case]
    if name == "line_search" and case in ("no batch dim", "not a tensor", "HWC", "empty batch"):
        msg = "N, A, C, H, W|NCHW|NHWC|empty|shape"  # the direction is built from x's shape
    with pytest.raises(ValueError, match=msg):
        BANK_ATTACKS[name](Bank(), make())


@pytest.mark.parametrize("case", BAD_LABELS)
@pytest.mark.parametrize("name", ATTACKS)
def test_attack_refuses_bad_labels(name: str, case: str) -> None:
    make, msg = BAD_LABELS[case]
    with pytest.raises(ValueError, match=msg):
        ATTACKS[name](_model(), _x(), make())


@pytest.mark.parametrize("name,param,value", [(n, p, v) for n, ps in BAD_PARAMS.items() for p, v in ps])
def test_attack_refuses_bad_parameters(name: str, param: str, value: Any) -> None:
    with pytest.raises(ValueError, match=param):
        ATTACKS[name](_model(), _x(), _y(), **{param: value})


@pytest.mark.parametrize(
    "param,value",
    [
        ("w0", math.nan),
        ("w0", -1.0),
        ("w_max", math.inf),
        ("w_max", math.nan),
        ("tol", 0.0),
        ("tol", math.nan),
    ],
)
@pytest.mark.parametrize("name", BANK_ATTACKS)
def test_bank_attack_refuses_bad_parameters(name: str, param: str, value: float) -> None:
    with pytest.raises(ValueError, match=param):
        BANK_ATTACKS[name](Bank(), _x(), **{param: value})


@pytest.mark.parametrize("name", ATTACKS)
def test_nan_model_output_is_an_error_not_a_success(name: str) -> None:
    with pytest.raises(ValueError, match="NaN"):
        ATTACKS[name](NaNModel(), _x(), _y())


@pytest.mark.parametrize("name", ["flip_attack_fgs", "flip_attack_ffa", "line_search"])
def test_nan_bank_output_is_an_error(name: str) -> None:
    with pytest.raises(ValueError, match="NaN"):
        BANK_ATTACKS[name](Bank(nan=True), _x())


@pytest.mark.parametrize("name", ["deepfool", "k_anonymity", "flip_attack", "apgd_t"])
def test_untargeted_only_attacks_refuse_targeted(name: str) -> None:
    with pytest.raises(ValueError, match="targeted"):
        if name == "flip_attack":
            dirs.flip_attack(Bank(), _x(), targeted=True, method="ffa")
        else:
            ATTACKS[name](_model(), _x(), _y(), targeted=True)


@pytest.mark.parametrize("name", ["fgsm", "cw_l2", "lbfgs", "pgd", "apgd", "square"])
def test_targeted_needs_y(name: str) -> None:
    with pytest.raises(ValueError, match="targeted"):
        ATTACKS[name](_model(), _x(), None, targeted=True)


@pytest.mark.parametrize("name", ATTACKS)
def test_contract_result_and_model_left_as_found(name: str) -> None:
    m = nn.Sequential(_model(), nn.Dropout(0.0)).train()
    m[0][3].weight.grad = torch.full_like(m[0][3].weight, 3.0)
    x, y = _x(), _y()
    res = ATTACKS[name](m, x, y)
    assert m.training and all(mod.training for mod in m.modules())
    assert all(p.requires_grad for p in m.parameters())
    assert torch.equal(m[0][3].weight.grad, torch.full_like(m[0][3].weight, 3.0))
    assert res.x_adv.shape == x.shape and res.success.shape == (N,) and res.success.dtype == torch.bool
    assert all(isinstance(v, torch.Tensor) and len(v) == N for v in res.info.values())
    with torch.no_grad():  # failed samples are the original image
        assert torch.equal(res.x_adv[~res.success], x[~res.success])
    assert "x_last" in res.info and res.info["x_last"].shape == x.shape


def test_label_default_is_the_prediction() -> None:
    m, x = _model(), _x()
    a = fgsm.fgsm(m, x, eps=0.1)
    b = fgsm.fgsm(m, x, m(x).argmax(1), eps=0.1)
    assert torch.equal(a.x_adv, b.x_adv) and torch.equal(a.success, b.success)


def test_attack_result_refuses_non_per_sample_info() -> None:
    with pytest.raises(ValueError, match="per-sample"):
        AttackResult(_x(), torch.zeros(N, dtype=torch.bool), {"eps": torch.tensor(0.3)})
    with pytest.raises(ValueError, match="one entry per sample"):
        AttackResult(_x(), torch.zeros(N - 1, dtype=torch.bool))


# -- defenses ------------------------------------------------------------------------------------
class _G(nn.Module):
    latent = 4

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 64)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.lin(z)).view(-1, 1, 8, 8)


@pytest.mark.parametrize(
    "param,value",
    [
        ("adv_eps", math.nan),
        ("adv_eps", -0.1),
        ("epochs", -1),
        ("lr", math.nan),
        ("batch", 0),
        ("epochs", True),
    ],
)
def test_train_classifier_refuses_bad_parameters(param: str, value: Any) -> None:
    from facerobust.defenses.adversarial_training import train_classifier

    with pytest.raises(ValueError, match=param):
        train_classifier(_model(), _x(), _y(), **{"epochs": 1, param: value})


@pytest.mark.parametrize("case", BAD_BATCHES)
def test_defenses_refuse_bad_batch(case: str) -> None:
    from facerobust.defenses.adversarial_training import train_classifier
    from facerobust.defenses.defense_gan import DefenseGAN

    make, msg = BAD_BATCHES[case]
    with pytest.raises(ValueError, match=msg):
        train_classifier(_model(), make(), _y(), epochs=1)
    with pytest.raises(ValueError, match=msg):
        DefenseGAN(_G(), L=2, R=1).project(make())


def test_train_classifier_refuses_bad_labels() -> None:
    from facerobust.defenses.adversarial_training import train_classifier

    for make, msg in BAD_LABELS.values():
        with pytest.raises(ValueError, match=msg):
            train_classifier(_model(), _x(), make(), epochs=1)


@pytest.mark.parametrize(
    "param,value",
    [
        ("lr", math.nan),
        ("lr", math.inf),
        ("lr", -1.0),
        ("L", -1),
        ("R", 0),
        ("momentum", 1.0),
        ("momentum", math.nan),
        ("prior", math.nan),
        ("radius", math.inf),
        ("init_std", -1.0),
        ("chunk", 0),
    ],
)
def test_defense_gan_refuses_bad_parameters(param: str, value: Any) -> None:
    from facerobust.defenses.defense_gan import DefenseGAN

    with pytest.raises(ValueError, match=param):
        DefenseGAN(_G(), **{param: value})


@pytest.mark.parametrize("param,value", [("lr", math.nan), ("noise", -0.1), ("epochs", -1), ("batch", 0)])
def test_magnet_reformer_training_refuses_bad_parameters(param: str, value: Any) -> None:
    from facerobust.defenses.magnet import MagNetReformer, train_reformer

    x = torch.rand(4, 1, 28, 28)
    with pytest.raises(ValueError, match=param):
        train_reformer(MagNetReformer(4, 8), x, **{"epochs": 1, param: value})
    with pytest.raises(ValueError, match="NaN"):
        train_reformer(MagNetReformer(4, 8), x * torch.nan, epochs=1)


# -- metrics -------------------------------------------------------------------------------------
METRICS: dict[str, Callable[[Any, Any], Any]] = {
    "ssim": lambda a, b: ssim.ssim(a, b, win_size=7),
    "ms_ssim": lambda a, b: ssim.ms_ssim(a, b, scales=1, win_size=7),
    "cw_ssim": lambda a, b: cw_ssim.cw_ssim(a, b, win=7),
    "pass_score": lambda a, b: pass_score.pass_score(a, b, threads=1),
    "pass_scores": lambda a, b: pass_score.pass_scores(a, b, threads=1),
}
METRIC_BATCHES = {k: v for k, v in BAD_BATCHES.items() if k != "float64"}  # metrics also take float64


@pytest.mark.parametrize("case", METRIC_BATCHES)
@pytest.mark.parametrize("name", METRICS)
def test_metric_refuses_bad_images(name: str, case: str) -> None:
    make, msg = METRIC_BATCHES[case]
    with pytest.raises(ValueError, match=msg):
        METRICS[name](make(), _x())
    with pytest.raises(ValueError, match=msg):
        METRICS[name](_x(), make())


@pytest.mark.parametrize("name", METRICS)
def test_metric_refuses_shape_mismatch(name: str) -> None:
    with pytest.raises(ValueError, match="one shape"):
        METRICS[name](_x(), _x(N - 1))


@pytest.mark.parametrize("name", METRICS)
def test_metric_keeps_working_on_good_input(name: str) -> None:
    out = METRICS[name](_x(), _x())
    score = out.score if hasattr(out, "score") else out
    assert torch.allclose(score.double(), torch.ones(N, dtype=torch.float64), atol=1e-6)


@pytest.mark.parametrize(
    "param,value",
    [
        ("win_size", 6),
        ("win_size", 7.0),
        ("sigma", math.nan),
        ("data_range", 0.0),
        ("data_range", 255.0 * math.inf),
    ],
)
def test_ssim_refuses_bad_parameters(param: str, value: Any) -> None:
    with pytest.raises(ValueError, match=param.split("_")[0]):
        ssim.ssim(_x(), _x(), **{"win_size": 7, param: value})


@pytest.mark.parametrize(
    "param,value", [("scales", 0), ("orientations", -1), ("win", 0), ("k", math.nan), ("k", -1.0)]
)
def test_cw_ssim_refuses_bad_parameters(param: str, value: Any) -> None:
    with pytest.raises(ValueError, match=param):
        cw_ssim.cw_ssim(_x(), _x(), **{"win": 7, param: value})


def test_pass_score_return_type_does_not_depend_on_a_flag() -> None:
    assert isinstance(pass_score.pass_score(_x(), _x()), torch.Tensor)
    r = pass_score.pass_scores(_x(), _x())
    assert r.score.shape == r.ecc.shape == (N,) and r.ecc.dtype == torch.bool
    with pytest.raises(ValueError, match="threads"):
        pass_score.pass_score(_x(), _x(), threads=0)


RANKING = {
    "true_label_rank": ranking.true_label_rank,
    "attack_success_rate": ranking.attack_success_rate,
    "rank2_recovery": ranking.rank2_recovery,
    "runner_up": ranking.runner_up,
}


@pytest.mark.parametrize("name", RANKING)
def test_ranking_refuses_nan_empty_and_bad_labels(name: str) -> None:
    s = torch.randn(N, K)
    fn = RANKING[name]
    with pytest.raises(ValueError, match="NaN"):
        fn(s.index_put((torch.tensor([0]), torch.tensor([0])), torch.tensor(math.nan)), _y())
    with pytest.raises(ValueError, match="empty"):
        fn(s[:0], _y(0))
    for make, msg in BAD_LABELS.values():
        with pytest.raises(ValueError, match=msg):
            fn(s, make())


def test_rank_pmf_and_mse_refuse_bad_input() -> None:
    with pytest.raises(ValueError, match="no ranks"):
        ranking.rank_pmf(torch.tensor([], dtype=torch.int64), K)
    with pytest.raises(ValueError, match="integer"):
        ranking.rank_pmf(torch.tensor([1.0, math.nan]), K)
    with pytest.raises(ValueError, match="n_classes"):
        ranking.rank_pmf(torch.tensor([1]), True)
    with pytest.raises(ValueError, match="NaN"):
        ranking.mse(_x(), _x() * math.nan)
    with pytest.raises(ValueError, match="empty"):
        ranking.mse(_x()[:0], _x()[:0])


# -- loaders (CelebA: tests/test_data.py, issue 17) ----------------------------------------------
def test_loaders_refuse_bad_arguments(tmp_path: Path) -> None:
    from facerobust.data import cifar10, digits, fashion_attributes

    with pytest.raises(ValueError, match="split"):
        digits.mnist5k("valid")
    with pytest.raises(ValueError, match="split"):
        digits.fashion_mnist("valid")
    with pytest.raises(ValueError, match="outside"):
        fashion_attributes.fashion_attributes("train", limit=-1)
    with pytest.raises(ValueError, match="unknown attribute"):
        fashion_attributes.fashion_attributes("train", names=("Wings",))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        cifar10.cifar10(tmp_path / "nowhere")
    bad = tmp_path / "train-images-idx3-ubyte"
    bad.write_bytes(b"\x00\x00\x0d\x03garbage")
    with pytest.raises(ValueError, match=bad.name):
        digits.read_idx(bad)


def test_asset_loader_names_unknown_and_tampered_assets(tmp_path: Path) -> None:
    from facerobust.data import assets

    with pytest.raises(assets.AssetError, match="nothing.bin"):
        assets.asset_path("nothing.bin", tmp_path)
    src, f = next((s, f) for s in assets.manifest() for f in s.files)
    (tmp_path / f.dest).parent.mkdir(parents=True)
    (tmp_path / f.dest).write_bytes(b"x" * f.size)
    with pytest.raises(assets.AssetError, match="sha256"):
        assets.asset_path(f.dest, tmp_path)


def test_sdist_is_verified_before_it_is_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The face_recognition sdist is streamed and checked by sha256 before anything reads it; a
    tampered archive is removed without being opened (pip download would have run its setup.py)."""
    import io
    import json

    from facerobust.data import assets

    src = next(s for s in assets.manifest() if s.registry == "pypi-sdist")
    payload = b"not the pinned archive" * 10
    index = {"files": [{"filename": src.archive, "url": "https://files.example/x.tar.gz", "hashes": {}}]}
    opened: list[str] = []

    class _Resp(io.BytesIO):
        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

    def fake(url: str, accept: str = "*/*") -> _Resp:
        opened.append(url)
        return _Resp(json.dumps(index).encode() if "simple" in url else payload)

    from facerobust.data import sdist

    monkeypatch.setattr(sdist, "_urlopen", fake)
    monkeypatch.setattr(assets.tarfile, "open", lambda *a, **k: pytest.fail("opened before verification"))
    with pytest.raises(assets.AssetError, match="sha256"):
        assets._download(src, tmp_path)
    assert opened[0].endswith(f"/{src.package}/") and not (tmp_path / src.archive).exists()
    index["files"][0]["hashes"] = {"sha256": "0" * 64}
    with pytest.raises(assets.AssetError, match="another sha256"):
        assets._download(src, tmp_path)
    assert list(tmp_path.iterdir()) == []


# -- runner --------------------------------------------------------------------------------------
CH = "notebooks/01_attribute_networks.py"


@pytest.mark.parametrize(
    "args,msg",
    [
        ([CH, "--force", "-o", CH], ".ipynb"),
        ([CH, "-o", "notebooks/01_attribute_networks.ipynb"], "source folder"),
        ([CH, "-o", "{tmp}/out.py"], ".ipynb"),
        ([CH, "-p", "max_epochs", "True", "-o", "{tmp}/o.ipynb"], "integer"),
        ([CH, "-p", "max_epochs", "-5", "-o", "{tmp}/o.ipynb"], "> 0"),
        ([CH, "-p", "max_epochs", "nan", "-o", "{tmp}/o.ipynb"], "max_epochs"),
        ([CH, "-p", "lr", "float('nan')", "-o", "{tmp}/o.ipynb"], "lr"),
        ([CH, "-p", "no_such_param", "1", "-o", "{tmp}/o.ipynb"], "unknown parameter"),
        ([CH, "--profile", "huge", "-o", "{tmp}/o.ipynb"], "profile"),
    ],
)
def test_runner_refuses_before_any_kernel(
    args: list[str], msg: str, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    source = (ROOT / CH).read_bytes()
    started: list[int] = []
    monkeypatch.setattr(runner, "run", lambda *a, **k: started.append(1))
    out = tmp_path / "out"
    out.mkdir()
    code = runner.main([a.replace("{tmp}", str(out)) for a in args])
    assert code == 2 and started == []
    assert msg in capsys.readouterr().err
    assert (ROOT / CH).read_bytes() == source
    _no_write(out)
    assert not (ROOT / "notebooks" / "01_attribute_networks.ipynb").exists() or msg != "source folder"


def test_runner_run_refuses_a_source_output(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=".ipynb"):
        runner.run(ROOT / CH, ROOT / CH, "ci")
    with pytest.raises(ValueError, match="source folder"):
        runner.run(ROOT / CH, ROOT / "notebooks" / "x.ipynb", "ci")


def test_runner_names_no_partial_file_that_does_not_exist(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*a: Any, **k: Any) -> bool:
        raise RuntimeError("kernel died")

    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(runner, "run", boom)
    assert runner.main([CH, "-o", str(tmp_path / "o.ipynb")]) == 1
    err = capsys.readouterr().err
    assert "kernel died" in err and "partial run kept" not in err
    _no_write(tmp_path)


# -- cache ---------------------------------------------------------------------------------------
def test_corrupt_cache_entry_names_its_path(tmp_path: Path) -> None:
    p = tmp_path / "m.pt"
    p.write_bytes(b"PK\x03\x04truncated")
    with pytest.raises(cache.CorruptCacheEntry, match=str(p)):
        cache.load_state(p)


# -- iterative attacks, adaptive wrappers, worst case (issue 26) --------------------------------
def _binary() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 2)).eval()


def _three() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 3)).eval()


@pytest.mark.parametrize("call,msg", [
    (lambda: apgd.apgd(_binary(), _x(), eps=0.1, loss="dlr", steps=2), "at least 3 classes"),
    (lambda: apgd.apgd(_three(), _x(), torch.zeros(N, dtype=torch.int64), targeted=True, eps=0.1,
                       loss="dlr", steps=2), "at least 4 classes"),
    (lambda: apgd.apgd_t(_three(), _x(), eps=0.1, steps=2), "at least 4 classes"),
    (lambda: apgd.apgd_t(_binary(), _x(), eps=0.1, steps=2), "loss='ce'"),
])
def test_dlr_refused_on_models_with_too_few_classes(call: Callable[[], Any], msg: str) -> None:
    with pytest.raises(ValueError, match=msg):
        call()


def test_binary_models_take_ce_pgd_and_square() -> None:
    for res in (apgd.apgd(_binary(), _x(), eps=0.1, steps=2), pgd.pgd(_binary(), _x(), eps=0.1, steps=2,
                step_size=0.05, loss="margin"), square.square(_binary(), _x(), eps=0.1, queries=3)):
        assert res.success.shape == (N,)


@pytest.mark.parametrize("n", [0, -1, 1.5, True, math.nan])
def test_eot_refuses_bad_draws(n: Any) -> None:
    with pytest.raises(ValueError, match="n must be"):
        adaptive.eot(_model(), n)


def test_bpda_refuses_an_approximation_of_another_shape() -> None:
    model = nn.Sequential(adaptive.bpda(lambda v: v.clamp(0.2, 0.8), lambda v: v[:, :, :4]), _model())
    with pytest.raises(ValueError, match="shape"):
        pgd.pgd(model, _x(), eps=0.1, steps=1, step_size=0.1)  # y: the prediction, so the attack runs


@pytest.mark.parametrize("name", ["eot", "bpda"])
def test_wrapped_nan_model_is_an_error(name: str) -> None:
    model = adaptive.eot(NaNModel(), 2) if name == "eot" else \
        nn.Sequential(adaptive.bpda(nn.Identity()), NaNModel())
    with pytest.raises(ValueError, match="NaN"):
        pgd.pgd(model, _x(), _y(), eps=0.1, steps=1, step_size=0.1)


SPECS = [wc.AttackSpec("PGD", pgd.pgd, {"eps": 0.1, "steps": 2, "step_size": 0.05})]


@pytest.mark.parametrize("case", BAD_BATCHES)
def test_robust_accuracy_refuses_bad_batch(case: str) -> None:
    make, msg = BAD_BATCHES[case]
    with pytest.raises(ValueError, match=msg):
        wc.robust_accuracy(_model(), make(), _y(), SPECS)


@pytest.mark.parametrize("case", BAD_LABELS)
def test_robust_accuracy_refuses_bad_labels(case: str) -> None:
    make, msg = BAD_LABELS[case]
    with pytest.raises(ValueError, match=msg):
        wc.robust_accuracy(_model(), _x(), make(), SPECS)


@pytest.mark.parametrize("attacks,msg", [
    ([], "non-empty"), (SPECS[0], "non-empty"), ([pgd.pgd], "AttackSpec"), (SPECS + SPECS, "unique"),
    ([wc.AttackSpec("clean", pgd.pgd, {})], "unique"), ("PGD", "non-empty"),
])
def test_robust_accuracy_refuses_bad_attack_lists(attacks: Any, msg: str) -> None:
    with pytest.raises(ValueError, match=msg):
        wc.robust_accuracy(_model(), _x(), _y(), attacks)


def test_robust_accuracy_refuses_bad_batch_size_and_nan_model() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        wc.robust_accuracy(_model(), _x(), _y(), SPECS, batch_size=0)
    with pytest.raises(ValueError, match="NaN"):
        wc.robust_accuracy(NaNModel(), _x(), _y(), SPECS)


def test_robust_accuracy_refuses_a_success_outside_the_budget() -> None:
    def cheat(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float,
              generator: Any = None) -> AttackResult:
        x_adv = torch.zeros_like(x)  # far outside the ball, misclassified or not
        return AttackResult(x_adv, torch.ones(len(x), dtype=torch.bool), {})

    m = _model()
    x = _x()
    y = m(x).argmax(1)
    black = m(torch.zeros_like(x)).argmax(1)
    assert bool((black != y).any())
    with pytest.raises(ValueError, match="outside"):
        wc.robust_accuracy(m, x, y, [wc.AttackSpec("cheat", cheat, {"eps": 0.01})])


def test_robust_accuracy_re_classifies_claimed_successes() -> None:
    def liar(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, generator: Any = None) -> AttackResult:
        return AttackResult(x.clone(), torch.ones(len(x), dtype=torch.bool), {})  # claims, changes nothing

    m, x = _model(), _x()
    res = wc.robust_accuracy(m, x, m(x).argmax(1), [wc.AttackSpec("liar", liar)])
    assert res.accuracy == 1.0 and bool((res.queries == -1).all())


@pytest.mark.parametrize("param,value", [("eps", math.nan), ("eps", -1.0), ("norm", "L1"), ("n_classes", 1),
                                         ("steps", 0), ("n_target_classes", 0), ("queries", 2.5)])
def test_standard_attack_list_refuses_bad_budgets(param: str, value: Any) -> None:
    with pytest.raises(ValueError, match=param):
        wc.standard(**{"eps": 0.1, param: value})


# -- a reader's own model and data: every refusal an adapter fixes names the adapter -------------
class _TupleModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = _model()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.inner(x), x.flatten(1)


class _DictModel(_TupleModel):
    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:  # type: ignore[override]
        return {"features": x.flatten(1), "logits": self.inner(x)}


_MEAN, _STD = 0.5, 0.25


def _u8() -> torch.Tensor:
    return (_x() * 255).round().to(torch.uint8)


# case -> (model, x, y) as a reader has them, the adapter the error must name, and the fix
OWN_INPUTS: dict[str, tuple[Callable[[], tuple[Any, Any, Any]], str, Callable[..., tuple[Any, Any, Any]]]] = {
    "numpy float32 images": (lambda: (_model(), _x().numpy(), _y()), "as_batch",
                             lambda m, x, y: (m, adapters.as_batch(x), y)),
    "numpy uint8 NHWC images": (lambda: (_model(), _u8().permute(0, 2, 3, 1).numpy(), _y()), "as_batch",
                                lambda m, x, y: (m, adapters.as_batch(x), y)),
    "uint8 tensor": (lambda: (_model(), _u8(), _y()), "as_batch",
                     lambda m, x, y: (m, adapters.as_batch(x), y)),
    "float64 images": (lambda: (_model(), _x().double(), _y()), "as_batch",
                       lambda m, x, y: (m, adapters.as_batch(x), y)),
    "NHWC float tensor": (lambda: (_model(), _x().permute(0, 2, 3, 1), _y()), "as_batch",
                          lambda m, x, y: (m, adapters.as_batch(x), y)),
    "grayscale batch (N, H, W)": (lambda: (_model(), _x()[:, 0], _y()), "as_batch",
                                  lambda m, x, y: (m, adapters.as_batch(x), y)),
    "0-255 floats": (lambda: (_model(), _x() * 255, _y()), "as_batch",
                     lambda m, x, y: (m, adapters.as_batch(x, scale=255), y)),
    "normalised images": (lambda: (_model(), (_x() - _MEAN) / _STD, _y()), "Normalized",
                          lambda m, x, y: (adapters.Normalized(m, _MEAN, _STD), x * _STD + _MEAN, y)),
    "numpy labels": (lambda: (_model(), _x(), _y().numpy()), "as_labels",
                     lambda m, x, y: (m, x, adapters.as_labels(y))),
    "int32 labels": (lambda: (_model(), _x(), _y().int()), "as_labels",
                     lambda m, x, y: (m, x, adapters.as_labels(y))),
    "labels (N, 1)": (lambda: (_model(), _x(), _y()[:, None]), "as_labels",
                      lambda m, x, y: (m, x, adapters.as_labels(y))),
    "model returns a tuple": (lambda: (_TupleModel(), _x(), _y()), "LogitsOf",
                              lambda m, x, y: (adapters.LogitsOf(m, 0), x, y)),
    "model returns a dict": (lambda: (_DictModel(), _x(), _y()), "LogitsOf",
                             lambda m, x, y: (adapters.LogitsOf(m, "logits"), x, y)),
}


@pytest.mark.parametrize("case", OWN_INPUTS)
@pytest.mark.parametrize("name", ATTACKS)
def test_refusal_names_the_adapter_and_the_adapter_fixes_it(name: str, case: str) -> None:
    make, adapter, fix = OWN_INPUTS[case]
    model, x, y = make()
    with pytest.raises(ValueError, match=rf"facerobust\.models\.adapters\.{adapter}"):
        ATTACKS[name](model, x, y)
    model, x, y = fix(model, x, y)
    res = ATTACKS[name](model, x, y)
    assert res.x_adv.shape == (N, 1, 8, 8) and res.x_adv.dtype == torch.float32
    assert float(res.x_adv.min()) >= 0.0 and float(res.x_adv.max()) <= 1.0


def test_refusals_without_an_adapter_name_none() -> None:
    """NaN pixels, empty batches and labels out of range are the data's problem: no adapter hides them."""
    for make, _ in (BAD_BATCHES["nan pixels"], BAD_BATCHES["empty batch"]):
        with pytest.raises(ValueError) as exc:
            fgsm.fgsm(_model(), make(), eps=0.1)
        assert "adapters" not in str(exc.value)
    with pytest.raises(ValueError) as exc:
        fgsm.fgsm(_model(), _x(), torch.full((N,), K, dtype=torch.int64), eps=0.1)
    assert "adapters" not in str(exc.value)


# -- the report card (chapter 10): transfer attack, PGD training, verifier threshold, settings, verdicts --
def test_transfer_refuses_a_bad_surrogate_or_attack() -> None:
    from facerobust.attacks.transfer import transfer

    x, y = torch.rand(N, 1, 8, 8), torch.zeros(N, dtype=torch.int64)
    with pytest.raises(ValueError, match="source"):
        transfer(_model(), x, y, source=lambda v: v, attack=fgsm.fgsm, eps=0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="attack"):
        transfer(_model(), x, y, source=_model(1), attack=None, eps=0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="AttackResult"):
        transfer(_model(), x, y, source=_model(1), attack=lambda *a, **k: None)
    with pytest.raises(ValueError):
        transfer(_model(), x.clone().fill_(math.nan), y, source=_model(1), attack=fgsm.fgsm, eps=0.1)


@pytest.mark.parametrize(("param", "value"), [("eps", -0.1), ("eps", 2.0), ("steps", 0), ("step_size", 0.0),
                                              ("epochs", -1), ("batch", 0), ("lr", 0.0)])
def test_pgd_training_refuses_bad_settings(param: str, value: Any) -> None:
    from facerobust.defenses.madry import train_pgd

    kw = {"eps": 0.1, "steps": 1, "step_size": 0.05, "epochs": 1, "batch": 4, "lr": 1e-3, param: value}
    with pytest.raises(ValueError, match=param):
        train_pgd(_model(), torch.rand(N, 1, 8, 8), torch.zeros(N, dtype=torch.int64), **kw)


def test_verifier_threshold_and_card_settings_refuse_bad_input() -> None:
    import numpy as np
    from facerobust.experiments.report_card import tables, verification
    from facerobust.experiments.report_card.targets import AttackSettings

    with pytest.raises(ValueError, match="far"):
        verification.threshold_at(np.arange(5.0), 1.5)
    with pytest.raises(ValueError, match="finite"):
        verification.threshold_at(np.array([0.1, math.nan]), 0.1)
    with pytest.raises(ValueError, match="minimal"):
        AttackSettings(10, 0, 0, minimal=("fab",))
    with pytest.raises(ValueError, match="steps"):
        AttackSettings(0, 0, 0)
    with pytest.raises(ValueError):
        tables.verdict(3, 2, 0.5)
