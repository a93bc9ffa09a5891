"""facerobust: the library behind the book "Are face models adversarially robust?".

Layers (nothing imports upward): ``data`` -> ``models`` -> ``attacks`` / ``defenses`` /
``metrics`` -> ``experiments``. ``params`` and ``runner`` serve the notebooks.
"""

from __future__ import annotations

__version__ = "0.1.0"


class VersionMismatch(RuntimeError):
    """The installed package is not the one the book's notebooks were written for."""


def check_version(expected: str | None = None) -> str:
    """Called in the first cell of every chapter: fail clearly on a stale install.

    Without ``expected``, the version the package was installed as (its distribution metadata) must
    be the version of the code being imported; a checkout updated without `make setup` fails here.
    """
    from importlib.metadata import PackageNotFoundError, version

    if expected is None:
        try:
            expected = version("facerobust")
        except PackageNotFoundError:
            raise VersionMismatch("facerobust is not installed: run `make setup`") from None
    if expected != __version__:
        raise VersionMismatch(
            f"the book needs facerobust {expected}, but {__version__} is installed: run `make setup`"
        )
    return f"facerobust {__version__}"
