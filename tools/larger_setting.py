"""Run one chapter once at a larger setting than its profile affords, and keep its claims (issue 28).

    python tools/larger_setting.py notebooks/09_k_anonymity.py -p n_attack 225 -p n_attack_fashion 225

Where a claims row stays inconclusive because of a choice of ours (a sample size, a face count, L and
R) and lifting the choice in ``default`` does not fit the book's budget, the chapter is run once with
the larger parameters (``-p NAME VALUE``, as the runner takes them) and every claim's value and
verdict is written to ``benchmarks/results/larger/<chapter>.json`` with the run's cost, machine and
commit. The chapter shows them beside its own rows (:mod:`facerobust.experiments.claims.larger`).
The run uses the book's cache, so models the chapter's profile already trained are read, not retrained.

A run at another training seed is kept under a name beside it, and the chapter decides its rows over
the seeds (:func:`facerobust.experiments.claims.larger.over_seeds`)::

    python tools/larger_setting.py notebooks/09_k_anonymity.py -p seed 1 --name seed1
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_builds import claims_rows  # noqa: E402
from facerobust import numerics  # noqa: E402
from facerobust.cache import atomic_write_bytes  # noqa: E402
from facerobust.experiments.claims.larger import LargerRun, path_of  # noqa: E402
from facerobust.run_inputs import parse_value  # noqa: E402


def _commit() -> str:
    """HEAD's short hash, with ``-dirty`` when the library, notebooks or parameters have uncommitted
    changes (the run's code is then not that commit's)."""
    git = ["git", "-C", str(Path(__file__).resolve().parents[1])]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "lib", "notebooks", "params"],
                           capture_output=True, text=True).stdout.strip()
    return f"{head}-dirty" if dirty else head


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebook", type=Path, help="notebooks/NN_name.py")
    ap.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    ap.add_argument("--profile", default="default")
    ap.add_argument("--name", help="keep the run as NN_name.<name>.json (e.g. seed1), beside the larger run")
    ap.add_argument("--out", type=Path, help="default: benchmarks/results/larger/NN_name[.<name>].json")
    args = ap.parse_args(argv)
    chapter = args.notebook.stem
    if not args.p:
        ap.error("give at least one -p NAME VALUE: the larger setting")
    commit = _commit()  # the code that runs: read before the run, which can outlast later commits
    with tempfile.TemporaryDirectory() as tmp:
        out_nb = Path(tmp) / f"{chapter}.ipynb"
        cmd = [sys.executable, "-m", "facerobust.runner", str(args.notebook), "--profile", args.profile,
               "-o", str(out_nb), "--force"] + [x for pair in args.p for x in ("-p", *pair)]
        subprocess.run(cmd, check=True)
        nb = json.loads(out_nb.read_text())
    meta = nb["metadata"]["facerobust"]
    rows: dict[str, tuple[str, str]] = {}
    for cell in nb["cells"]:
        rows.update(claims_rows(cell))
    if not rows:
        raise SystemExit(f"{chapter}: the executed notebook shows no claims table")
    run = LargerRun(chapter=chapter, profile=args.profile,
                    overrides={k: parse_value(v) for k, v in args.p},
                    commit=commit, date=datetime.date.today().isoformat(), cpu=numerics.cpu_kind(),
                    threads=int(meta["threads"]), cpu_s=float(meta["cpu_s"]), wall_s=float(meta["wall_s"]),
                    rows=rows)
    dest = args.out or path_of(chapter, args.name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(dest, (json.dumps(run.to_json(), indent=1) + "\n").encode())
    print(f"{chapter}: {len(rows)} claims at {run.overrides} -> {dest} ({run.cpu_s:.0f} CPU-s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
