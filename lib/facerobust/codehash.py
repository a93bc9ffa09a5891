"""The sha256 of the source a module or a function runs, inside ``facerobust``: its import closure.

The closure of a module is read statically (``ast``, nothing is imported or run): the module's own
source, every ``facerobust`` module it imports (``import a.b``, ``from a import b``, relative
``from ..a import b``, at any depth of the file, lazy imports inside functions included),
transitively, and the ``__init__.py`` of every package on the way. A package's ``__init__`` is
followed (its own imports read) only where a name is taken from the package itself
(``from ..models import MATCH_THRESHOLD``, ``import facerobust.models as m``); as a mere parent it
counts with its source alone, so a package that re-exports many modules does not widen the closure
of each one. Data files a module reads beside itself (``Path(__file__).with_name("x.json")``)
count with it. Modules outside ``facerobust`` (torch, numpy, ...) are not followed.

The closure of a callable unwraps ``functools.partial``, bound methods, lambdas and closures to the
modules that define them, with every callable (and ``facerobust`` object: its class, the fields of a
dataclass) found in their closure cells, default arguments and partial arguments; what is not code
(a tensor, a model) is handed to the caller (``leaf``). A function defined outside the package (a
test, a notebook cell) counts with its own source. Module sources are read once per process.
Used by :mod:`facerobust.cache` (model keys) and :mod:`facerobust.runner` (notebook digests).
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import inspect
import types
from collections.abc import Callable, Iterable
from pathlib import Path

PACKAGE = __name__.split(".")[0]
ROOT = Path(__file__).resolve().parent


def source_file(module: str) -> Path | None:
    """The file of ``module`` (``facerobust.x.y``) in this package: ``x/y.py`` or ``x/y/__init__.py``."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    base = ROOT.joinpath(*parts[1:])
    candidates = [base / "__init__.py"]
    if len(parts) > 1:
        candidates.insert(0, base.with_suffix(".py"))
    return next((p for p in candidates if p.is_file()), None)


def _is_package(module: str) -> bool:
    f = source_file(module)
    return f is not None and f.name == "__init__.py"


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _absolute(module: str, level: int, target: str | None) -> str | None:
    """The absolute name of ``from <level dots><target> import ...`` written in ``module``."""
    if level == 0:
        return target
    package = module if _is_package(module) else module.rpartition(".")[0]
    parts = package.split(".")
    if level - 1 >= len(parts):
        return None
    base = ".".join(parts[: len(parts) - (level - 1)])
    return f"{base}.{target}" if target else base


def imports_of(tree: ast.AST, module: str = PACKAGE) -> tuple[str, ...]:
    """The ``facerobust`` modules whose contents the code of ``tree`` (written in ``module``, for
    relative imports) uses: for ``from pkg import name``, ``pkg.name`` when that is a module,
    else ``pkg`` itself (the name comes from its ``__init__``)."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node.level, node.module)
            if base is None:
                continue
            for a in node.names:
                sub = f"{base}.{a.name}"
                out.add(sub if a.name != "*" and source_file(sub) else base)
    return tuple(sorted(m for m in out if source_file(m) is not None))


def imports_of_source(text: str) -> tuple[str, ...]:
    """The ``facerobust`` modules a script imports (a chapter's ``py:percent`` source): its absolute
    imports; IPython magics and shell lines (``%...``, ``!...``) are skipped."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines()]
    return imports_of(ast.parse("\n".join(lines)))


def _data_files(tree: ast.AST, path: Path) -> list[Path]:
    """Files read beside the module: ``Path(__file__).with_name("x")`` with a literal name."""
    names = {n.args[0].value for n in ast.walk(tree)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "with_name"
             and n.args and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str)}
    return [path.with_name(n) for n in sorted(names) if path.with_name(n).is_file()]


@functools.cache
def _read(module: str) -> tuple[bytes, tuple[str, ...]]:
    """(source bytes with its data files, imported modules) of a ``facerobust`` module."""
    path = source_file(module)
    if path is None:
        raise ValueError(f"{module!r} is not a module of {PACKAGE} ({ROOT})")
    src = path.read_bytes()
    tree = ast.parse(src, filename=str(path))
    blob = src + b"".join(b"\0" + p.name.encode() + b"\0" + p.read_bytes() for p in _data_files(tree, path))
    return blob, imports_of(tree, module)


@functools.cache
def closure(module: str) -> tuple[str, ...]:
    """Every ``facerobust`` module in the import closure of ``module`` (itself included), sorted."""
    followed: set[str] = set()
    todo = [module]
    while todo:
        m = todo.pop()
        if m not in followed:
            followed.add(m)
            todo.extend(_read(m)[1])
    return tuple(sorted(followed | {p for m in followed for p in _parents(m)}))


def digest_modules(modules: Iterable[str]) -> str:
    """sha256 (hex) of the sources of the union of the closures of ``modules`` (names)."""
    names = sorted({m for name in modules for m in closure(name)})
    h = hashlib.sha256()
    for m in names:
        h.update(m.encode() + b"\0" + _read(m)[0] + b"\0")
    return h.hexdigest()


def _foreign_source(fn: types.FunctionType) -> str:
    """The source of a function defined outside the package (its code object when unavailable)."""
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        code = fn.__code__
        return f"{fn.__qualname__}:{code.co_code.hex()}:{code.co_consts!r}:{code.co_names!r}"


def _ours(module: object) -> bool:
    return isinstance(module, str) and (module == PACKAGE or module.startswith(PACKAGE + "."))


Leaf = Callable[[object], None]


def _cells(fn: types.FunctionType) -> list[object]:
    """What a closure holds (an empty cell, a name not yet bound, holds nothing)."""
    out = []
    for cell in fn.__closure__ or ():
        try:
            out.append(cell.cell_contents)
        except ValueError:
            continue
    return out


def _walk(obj: object, modules: set[str], foreign: list[str], leaf: Leaf | None, seen: set[int],
          depth: int = 0) -> None:
    """Collect the modules (and foreign function sources) behind ``obj``; hand every object that is
    not code (a tensor, a model, ...) to ``leaf``."""
    if id(obj) in seen or depth > 8 or obj is None or isinstance(obj, (str, bytes, int, float, bool, Path)):
        return
    seen.add(id(obj))

    def more(*items: object) -> None:
        for it in items:
            _walk(it, modules, foreign, leaf, seen, depth + 1)

    if isinstance(obj, types.ModuleType):
        if _ours(obj.__name__):
            modules.add(obj.__name__)
    elif isinstance(obj, functools.partial):
        more(obj.func, *obj.args, *obj.keywords.values())
    elif isinstance(obj, types.MethodType):
        more(obj.__func__, obj.__self__)
    elif isinstance(obj, types.FunctionType):
        if _ours(obj.__module__):
            modules.add(obj.__module__)
        else:
            foreign.append(_foreign_source(obj))
        more(*_cells(obj), *(obj.__defaults__ or ()), *(obj.__kwdefaults__ or {}).values(),
             getattr(obj, "__wrapped__", None))
    elif isinstance(obj, type):
        if _ours(obj.__module__):
            modules.add(obj.__module__)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        more(*obj)
    elif isinstance(obj, dict):
        more(*obj.values())
    else:
        if _ours(type(obj).__module__):  # an object of ours: its class, and what its fields hold
            modules.add(type(obj).__module__)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            more(*(getattr(obj, f.name) for f in dataclasses.fields(obj)))
        elif leaf is not None:
            leaf(obj)


def modules_of(*objs: object) -> tuple[str, ...]:
    """The ``facerobust`` modules that define ``objs`` (modules, functions, classes, partials, ...)."""
    modules: set[str] = set()
    _walk(objs, modules, [], None, set())
    return tuple(sorted(modules))


def digest(*objs: object, leaf: Leaf | None = None) -> str:
    """sha256 (hex) of the import closures of the modules behind ``objs`` (see the module text), plus
    the source of any function among them defined outside the package. ``leaf`` is called, in a
    stable order, with every object met on the way that is not code (tensors, models, ...): the
    cache fingerprints the data a producing function was given with it."""
    modules: set[str] = set()
    foreign: list[str] = []
    _walk(objs, modules, foreign, leaf, set())
    h = hashlib.sha256(digest_modules(modules).encode())
    for src in foreign:
        h.update(b"\0" + src.encode())
    return h.hexdigest()
