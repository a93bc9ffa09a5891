"""Write the module lists of the API reference page (``book/api.md``) before the book is built.

``book/api.md`` is written by hand; for each package it includes a generated file with one
``automodule`` per module found on disk, so a new attack, defense or metric module appears on the
page without anyone editing it. The evaluation function ``robust_accuracy``
(``facerobust.attacks.worst_case``) gets its own section at the top and is left out of the attacks
list (documenting an object twice is a Sphinx warning, and the book builds with ``-W``); while that
module does not exist, the section says so.

    python tools/api_modules.py   # run by `make html` and `make pdf`; writes _build/generated/api/*.md
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib" / "facerobust"
OUT = ROOT / "_build" / "generated" / "api"
PACKAGES = ("attacks", "defenses", "metrics")
EVALUATION = "facerobust.attacks.worst_case"


def modules(package: str) -> list[str]:
    """Public modules of ``facerobust.<package>``, sub-packages included (``attacks.advhat.*``)."""
    found = []
    for p in sorted((LIB / package).rglob("*.py")):
        rel = p.relative_to(LIB.parent).with_suffix("")
        if any(part.startswith("_") for part in rel.parts):
            continue
        found.append(".".join(rel.parts))
    first = f"facerobust.{package}.base"  # the contract (AttackResult) before the attacks
    return sorted((m for m in found if m != EVALUATION), key=lambda m: (m != first, m))


def automodule(module: str) -> str:
    return (f"### `{module}`\n\n```{{eval-rst}}\n.. automodule:: {module}\n   :members:\n"
            f"   :undoc-members:\n   :show-inheritance:\n```\n")


def evaluation() -> str:
    path = LIB.parent.joinpath(*EVALUATION.split(".")).with_suffix(".py")
    if not path.exists():
        return (f"```{{note}}\n`{EVALUATION}.robust_accuracy`, the evaluation every chapter's table of "
                "accuracy under attack uses, is not in this build of the library yet; it appears here "
                "when the module exists.\n```\n")
    return (f"```{{eval-rst}}\n.. autofunction:: {EVALUATION}.robust_accuracy\n```\n\n"
            f"The rest of the module:\n\n```{{eval-rst}}\n.. automodule:: {EVALUATION}\n   :members:\n"
            f"   :exclude-members: robust_accuracy\n```\n")


def write(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    pages = {f"{pkg}.md": "\n".join(automodule(m) for m in modules(pkg)) for pkg in PACKAGES}
    pages["evaluation.md"] = evaluation()
    written = []
    for name, text in pages.items():
        target = out / name
        if not target.exists() or target.read_text() != text:  # unchanged files keep Sphinx's cache
            target.write_text(text)
        written.append(target)
    return written


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
