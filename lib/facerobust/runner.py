"""Execute a chapter with papermill on a profile, cleanly and with a cache; build the book.

``python -m facerobust.runner notebooks/03_x.py --profile ci -o book/chapters/03_x.ipynb`` runs one
chapter in this process; ``python -m facerobust.runner notebooks/*.py --outdir book/chapters -j 2``
builds several as a dependency graph, each in its own process (:mod:`facerobust.build`).

- validates the profile and every ``-p NAME VALUE`` override *before* starting a kernel and
  prints a one-line error naming a bad parameter (exit code 2): unknown names, wrong types, a
  bool where a number is expected, NaN/inf, and numbers below what every profile allows (a
  parameter that is > 0 in every profile must stay > 0, >= 0 stays >= 0);
- refuses an output that is not a ``.ipynb`` file or lies under the chapters' source folder
  (``notebooks/``): a chapter's source is never overwritten;
- reads the jupytext ``py:percent`` source, injects ``profile`` and ``overrides`` with
  papermill, never touching the paired notebook;
- strips papermill's timing metadata and merges a cell's stream outputs as Jupyter, nbval and
  the book's HTML do, then collapses carriage-return progress updates in the merged text, so
  every progress bar ends as one final line;
- records the chapter's wall time and CPU time (kernel process tree) in the notebook's
  ``facerobust`` metadata;
- skips the run when the output was made with the same key: the notebook source, parameters,
  library code and asset manifest (:mod:`facerobust.chapter_keys`) and the keys of the chapters it ``needs``
  (``--force`` re-runs);
- writes the output through a temp file and ``replace``: Ctrl-C (or SIGTERM) stops the kernel
  within seconds and leaves the previous output untouched; a failed run keeps its partial
  notebook as ``NAME.failed.ipynb``.

Used by ``make book``, ``make chapter`` and ``make regen``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from . import __version__
from .build_report import fmt
from .chapter_graph import GraphError, graph
from .chapter_keys import INTERRUPTED, chapter_keys, stored, temp_files, threads_of
from .notebook_streams import coalesce
from .params import ParameterError, load
from .paths import cache_dir
from .run_inputs import check_output, check_overrides, parse_value

__all__ = ["check_output", "check_overrides", "chapter_keys", "main", "parse_value", "run", "stored"]
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
        if cell.cell_type == "code" and cell.get("outputs"):
            cell.outputs = coalesce(cell.outputs)


def run(
    notebook: Path,
    output: Path,
    profile: str,
    overrides: dict[str, Any] | None = None,
    force: bool = False,
) -> bool:
    """Execute ``notebook`` (a ``.py``) into ``output``; returns False when skipped (up to date).

    Raises KeyboardInterrupt after SIGINT/SIGTERM (kernel stopped, nothing written) and the
    execution error when a cell fails (partial notebook kept as ``NAME.failed.ipynb``)."""
    import jupytext
    import nbformat
    import papermill as pm

    from .chapter_kernel import ChapterKernel, stop_on_signals

    overrides = dict(overrides or {})
    check_output(notebook, output)
    load(notebook.stem, profile, overrides)  # one-line ParameterError before any kernel starts
    check_overrides(notebook.stem, overrides)
    digest = chapter_keys(notebook.parent, [notebook.stem], profile, overrides)[notebook.stem]
    if not force and output.exists() and stored(output).get("digest") == digest:
        return False
    nb = jupytext.read(notebook)
    for i, cell in enumerate(nb.cells):  # stable ids: reruns diff only where outputs change
        cell.id = f"cell-{i:03d}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp_in, tmp_out = temp_files(output)
    failed = output.with_suffix(".failed.ipynb")
    nbformat.write(nb, tmp_in)
    kernel = ChapterKernel(watch=[output.parent, cache_dir()])
    t0 = time.perf_counter()
    try:
        with stop_on_signals() as sig:
            try:
                pm.execute_notebook(
                    str(tmp_in), str(tmp_out), parameters={"profile": profile, "overrides": overrides},
                    kernel_name="python3", progress_bar=False, cwd=str(notebook.parent.resolve()),
                    km=kernel.km,
                )
            except BaseException as exc:
                sig.armed = False
                kernel.stop(interrupted=isinstance(exc, KeyboardInterrupt))
                raise
            sig.armed = False
            kernel.stop()
            if sig:  # a signal arrived while the kernel was stopping: keep nothing
                raise KeyboardInterrupt(signal.Signals(sig.got[0]).name)
            wall = time.perf_counter() - t0
            done = nbformat.read(tmp_out, as_version=4)
            _clean(done, digest, profile)
            done.metadata["facerobust"].update({
                "wall_s": round(wall, 1), "cpu_s": round(kernel.cpu_s, 1),
                "threads": threads_of(notebook.stem, profile, overrides), "cpu_count": os.cpu_count()})
            nbformat.write(done, tmp_out)
            tmp_out.replace(output)
            failed.unlink(missing_ok=True)
            if sig:  # signalled while writing: the output is complete, but stop here
                raise KeyboardInterrupt(signal.Signals(sig.got[0]).name)
    except KeyboardInterrupt:
        tmp_out.unlink(missing_ok=True)  # an interrupted run keeps nothing
        raise
    except BaseException:
        if tmp_out.exists():  # keep the partial run for the reader to inspect
            tmp_out.replace(failed)
        raise
    finally:
        tmp_in.unlink(missing_ok=True)
    return True


def run_one(nb: Path, out: Path, profile: str, overrides: dict[str, Any], force: bool) -> int:
    """``run`` with the one-line messages of ``make chapter``; returns the exit code."""
    print(f"{nb.name} [{profile}] -> {out}: running", flush=True)
    t0 = time.perf_counter()
    try:
        ran = run(nb, out, profile, overrides, force)
    except KeyboardInterrupt:
        kept = "its previous output is unchanged" if out.exists() else "nothing was written"
        print(f"interrupted: {nb.name} stopped after {fmt(time.perf_counter() - t0)} (kernel stopped); "
              f"{kept}. Run the same command again to redo it.", file=sys.stderr, flush=True)
        return INTERRUPTED
    except Exception as exc:  # papermill's PapermillExecutionError carries the cell error
        first = str(exc).strip().splitlines()
        print(f"error: {nb.name} failed on profile {profile}: "
              f"{first[-1] if first else type(exc).__name__}", file=sys.stderr)
        failed = out.with_suffix(".failed.ipynb")
        if failed.exists():
            print(f"       partial run kept in {failed}", file=sys.stderr)
        return 1
    if ran:
        meta = stored(out)
        status = f"ran in {fmt(time.perf_counter() - t0)} (CPU {fmt(meta.get('cpu_s', 0.0))})"
    else:
        status = "up to date"
    print(f"{nb.name} [{profile}] -> {out}: {status}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m facerobust.runner", description=__doc__.split("\n")[0])
    ap.add_argument("notebooks", nargs="+", type=Path, help="chapter sources, notebooks/NN_name.py")
    ap.add_argument("--profile", default="default")
    ap.add_argument("-o", "--output", type=Path, help="output .ipynb (one notebook, run in this process)")
    ap.add_argument("--outdir", type=Path, help="output folder (a build: each chapter in its own process)")
    ap.add_argument("-j", "--jobs", type=int, default=1,
                    help="cores the build may fill; a chapter occupies its profile's `threads` (default 1)")
    ap.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args(argv)
    if threading.current_thread() is threading.main_thread():  # Ctrl-C works even if the shell that
        signal.signal(signal.SIGINT, signal.default_int_handler)  # started us left SIGINT ignored
    overrides = {k: parse_value(v) for k, v in args.p}
    if args.output and len(args.notebooks) > 1:
        print("error: -o takes one notebook; use --outdir for several", file=sys.stderr)
        return 2
    if not args.output and not args.outdir:
        print("error: give -o OUT.ipynb or --outdir DIR (the paired notebook is never overwritten)",
              file=sys.stderr)
        return 2
    if args.jobs < 1:
        print(f"error: -j must be >= 1, got {args.jobs}", file=sys.stderr)
        return 2
    for nb in args.notebooks:
        if not nb.exists() or nb.suffix != ".py":
            print(f"error: notebook {nb} does not exist (expected notebooks/NN_name.py)", file=sys.stderr)
            return 2
    if len({nb.resolve().parent for nb in args.notebooks}) > 1:
        print("error: the chapters of one build must lie in one folder (notebooks/)", file=sys.stderr)
        return 2
    try:
        for nb in args.notebooks:
            check_output(nb, args.output or args.outdir / f"{nb.stem}.ipynb")
            load(nb.stem, args.profile, overrides)
            check_overrides(nb.stem, overrides)
        graph(args.notebooks[0].parent)
    except (ParameterError, ValueError, GraphError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.output:
        return run_one(args.notebooks[0], args.output, args.profile, overrides, args.force)
    from .build import build

    try:
        return build(args.notebooks, args.outdir, args.profile, overrides, jobs=args.jobs, force=args.force)
    except KeyboardInterrupt:  # before any chapter started (while checking what is up to date)
        print("interrupted before any chapter started; nothing was written", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
