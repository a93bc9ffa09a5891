"""Execute a chapter with papermill on a profile, cleanly and with a cache.

``python -m facerobust.runner notebooks/03_x.py --profile ci -o book/chapters/03_x.ipynb``

- validates the profile and every ``-p NAME VALUE`` override *before* starting a kernel and
  prints a one-line error naming a bad parameter (exit code 2): unknown names, wrong types, a
  bool where a number is expected, NaN/inf, and numbers below what every profile allows (a
  parameter that is > 0 in every profile must stay > 0, >= 0 stays >= 0);
- refuses an output that is not a ``.ipynb`` file or lies under the chapters' source folder
  (``notebooks/``): a chapter's source is never overwritten;
- reads the jupytext ``py:percent`` source, injects ``profile`` and ``overrides`` with
  papermill, never touching the paired notebook;
- strips papermill's timing metadata and collapses carriage-return progress updates, so
  the rendered page shows one final progress line, not hundreds;
- skips the run when the output was made from the same notebook source, parameters,
  library code and asset manifest (``--force`` re-runs).

Used by ``make book``, ``make chapter`` and ``make regen``.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import re
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from . import __version__, codehash
from .params import ParameterError, load, profiles
from .paths import repo_root

_CR = re.compile(r"[^\n]*\r(?!\n)")


def _digest(nb_source: Path, profile: str, overrides: dict[str, Any]) -> str:
    """The notebook source, profile, overrides and version, the chapter's params file, the source of
    the import closure of the notebook's ``facerobust`` imports (:mod:`facerobust.codehash`) and
    the asset manifest."""
    h = hashlib.sha256()
    text = nb_source.read_bytes()
    h.update(text)
    h.update(repr((profile, sorted(overrides.items()), __version__)).encode())
    params = repo_root() / "params" / f"{nb_source.stem}.yml"
    if params.exists():
        h.update(params.read_bytes())
    h.update(codehash.digest_modules(codehash.imports_of_source(text.decode())).encode())
    h.update((codehash.ROOT / "data" / "assets.json").read_bytes())
    return h.hexdigest()


def _clean(nb: Any, digest: str, profile: str) -> None:
    nb.metadata.pop("papermill", None)
    nb.metadata["facerobust"] = {"digest": digest, "profile": profile, "version": __version__}
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill gives it a random id on every run
            if "hide-input" not in cell.metadata["tags"]:
                cell.metadata["tags"].append("hide-input")  # the chapter's own cell shows them
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                out["text"] = _CR.sub("", out["text"])


def parse_value(text: str) -> Any:
    """A ``-p`` value: a Python literal if it parses as one; a YAML list or mapping as written in
    ``params/*.yml`` (``[mnist5k, fashion_mnist]``); else the string itself."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        pass
    if text.lstrip().startswith(("[", "{")):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError:
            pass
    return text


def check_overrides(chapter: str, overrides: dict[str, Any]) -> None:
    """Raise :class:`ParameterError` for an override the chapter's profiles rule out before any
    kernel starts: a bool for a number, NaN/inf, or a number below every profile's floor."""
    allp = profiles(chapter)
    for name, value in overrides.items():
        seen = [p[name] for p in allp.values() if name in p]
        nums = [v for v in seen if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if not nums or value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = "an integer" if all(isinstance(v, int) for v in nums) else "a number"
            raise ParameterError(f"parameter {name!r} must be {kind}, got {value!r}")
        if value != value or value in (float("inf"), float("-inf")):
            raise ParameterError(f"parameter {name!r} must be finite, got {value!r}")
        low = min(nums)
        if (low > 0 and value <= 0) or (low >= 0 and value < 0):
            sign = "> 0" if low > 0 else ">= 0"
            raise ParameterError(f"parameter {name!r} must be {sign} (as in every profile), got {value!r}")


def check_output(notebook: Path, output: Path) -> None:
    """Raise ``ValueError`` unless ``output`` is a ``.ipynb`` outside the chapters' source folder."""
    out = output.expanduser().resolve()
    if out.suffix != ".ipynb":
        raise ValueError(f"output {output} must be a .ipynb file (a chapter's source is never overwritten)")
    sources = {notebook.expanduser().resolve().parent, (repo_root() / "notebooks").resolve()}
    if any(s == out.parent or s in out.parents for s in sources):
        raise ValueError(f"output {output} lies in the chapters' source folder; write it elsewhere "
                         "(e.g. _build/chapters/)")
    if out.exists() and out.is_dir():
        raise ValueError(f"output {output} is a folder")


def run(
    notebook: Path,
    output: Path,
    profile: str,
    overrides: dict[str, Any] | None = None,
    force: bool = False,
) -> bool:
    """Execute ``notebook`` (a ``.py``) into ``output``; returns False when skipped (cached)."""
    import jupytext
    import nbformat
    import papermill as pm

    overrides = dict(overrides or {})
    check_output(notebook, output)
    load(notebook.stem, profile, overrides)  # one-line ParameterError before any kernel starts
    check_overrides(notebook.stem, overrides)
    digest = _digest(notebook, profile, overrides)
    if output.exists() and not force:
        old = nbformat.read(output, as_version=4)
        if old.metadata.get("facerobust", {}).get("digest") == digest:
            return False
    nb = jupytext.read(notebook)
    for i, cell in enumerate(nb.cells):  # stable ids: reruns diff only where outputs change
        cell.id = f"cell-{i:03d}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp_in = output.with_name(f".{output.stem}.in.ipynb")
    tmp_out = output.with_name(f".{output.stem}.out.ipynb")
    nbformat.write(nb, tmp_in)
    try:
        pm.execute_notebook(
            str(tmp_in), str(tmp_out), parameters={"profile": profile, "overrides": overrides},
            kernel_name="python3", progress_bar=False, cwd=str(notebook.parent.resolve()),
        )
        done = nbformat.read(tmp_out, as_version=4)
        _clean(done, digest, profile)
        nbformat.write(done, tmp_out)
        tmp_out.replace(output)
    except BaseException:
        if tmp_out.exists():  # keep the partial run for the reader to inspect
            tmp_out.replace(output.with_suffix(".failed.ipynb"))
        raise
    finally:
        tmp_in.unlink(missing_ok=True)
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m facerobust.runner", description=__doc__.split("\n")[0])
    ap.add_argument("notebooks", nargs="+", type=Path, help="chapter sources, notebooks/NN_name.py")
    ap.add_argument("--profile", default="default")
    ap.add_argument("-o", "--output", type=Path, help="output .ipynb (one notebook) ")
    ap.add_argument("--outdir", type=Path, help="output folder (several notebooks)")
    ap.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args(argv)
    overrides = {k: parse_value(v) for k, v in args.p}
    if args.output and len(args.notebooks) > 1:
        print("error: -o takes one notebook; use --outdir for several", file=sys.stderr)
        return 2
    if not args.output and not args.outdir:
        print("error: give -o OUT.ipynb or --outdir DIR (the paired notebook is never overwritten)",
              file=sys.stderr)
        return 2
    for nb in args.notebooks:
        if not nb.exists() or nb.suffix != ".py":
            print(f"error: notebook {nb} does not exist (expected notebooks/NN_name.py)", file=sys.stderr)
            return 2
        try:
            check_output(nb, args.output or args.outdir / f"{nb.stem}.ipynb")
            load(nb.stem, args.profile, overrides)
            check_overrides(nb.stem, overrides)
        except (ParameterError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    for nb in args.notebooks:
        out = args.output or args.outdir / f"{nb.stem}.ipynb"
        t0 = time.perf_counter()
        try:
            ran = run(nb, out, args.profile, overrides, args.force)
        except Exception as exc:  # papermill's PapermillExecutionError carries the cell error
            first = str(exc).strip().splitlines()
            print(f"error: {nb.name} failed on profile {args.profile}: "
                  f"{first[-1] if first else type(exc).__name__}", file=sys.stderr)
            failed = out.with_suffix(".failed.ipynb")
            if failed.exists():
                print(f"       partial run kept in {failed}", file=sys.stderr)
            return 1
        status = f"ran in {time.perf_counter() - t0:.0f} s" if ran else "up to date"
        print(f"{nb.name} [{args.profile}] -> {out}: {status}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
