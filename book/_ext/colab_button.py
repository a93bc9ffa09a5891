"""The Colab launch button of a chapter opens the committed notebook ``colab/NN_name.ipynb``.

sphinx-book-theme builds the button's URL from the page's own path,
``{colab_url}/github/{org}/{repo}/blob/{branch}/book/chapters/NN_name.ipynb``; the executed chapters
in ``book/chapters/`` are build outputs, not committed, so Colab would find nothing there. After the
theme has made its buttons (``html-page-context``, its handlers run at priority 501), this extension
rewrites that one URL for pages under ``book/chapters/`` to ``.../blob/{branch}/colab/NN_name.ipynb``,
the unexecuted notebook ``tools/colab_notebooks.py`` writes from ``notebooks/NN_name.py``. Every
other button (repository, issues, download, other launch providers) is left as the theme made it.
A chapter without its ``colab/`` notebook is a warning (an error under ``-W``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.util import logging

CHAPTERS = "book/chapters/"
FOLDER = "colab"
logger = logging.getLogger(__name__)


def colab_path(pagename: str) -> str | None:
    """``colab/NN_name.ipynb`` for a chapter page ``book/chapters/NN_name``, else None."""
    if not pagename.startswith(CHAPTERS) or "/" in pagename.removeprefix(CHAPTERS):
        return None
    return f"{FOLDER}/{Path(pagename).name}.ipynb"


def rewrite_url(url: str, branch: str, pagename: str) -> str | None:
    """The theme's Colab ``url`` for ``pagename`` pointed at the ``colab/`` notebook, or None when
    ``url`` is not the theme's URL of a chapter page (then it is left alone)."""
    target, marker = colab_path(pagename), f"/blob/{branch}/"
    if target is None or marker not in url or not url.endswith(f"{pagename}.ipynb"):
        return None
    return url[: url.index(marker) + len(marker)] + target


def _repo_root(app: Any) -> Path:
    root = Path(app.srcdir)
    for _ in Path(app.config.html_theme_options.get("path_to_docs", "").strip("/")).parts:
        root = root.parent
    return root


def redirect_colab(app: Any, pagename: str, templatename: str, context: dict[str, Any],
                   doctree: Any) -> None:
    options = app.config.html_theme_options
    colab_url = options.get("launch_buttons", {}).get("colab_url", "").strip("/")
    target = colab_path(pagename)
    if not colab_url or target is None:
        return
    branch = options.get("repository_branch") or "master"  # the theme's own default
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        for button in group.get("buttons", []):
            url = button.get("url", "")
            new = rewrite_url(url, branch, pagename) if url.startswith(f"{colab_url}/") else None
            if new is None:
                continue
            button["url"] = new
            if not (_repo_root(app) / target).is_file():
                logger.warning(f"{pagename}: the Colab button opens {target}, which does "
                               "not exist (run `make colab` and commit colab/)", location=pagename)


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", redirect_colab, priority=600)  # after the theme's buttons (501)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
