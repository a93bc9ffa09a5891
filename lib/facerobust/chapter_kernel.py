"""The Jupyter kernel that executes one chapter, owned by the runner from start to certain stop.

- The kernel talks over IPC (Unix sockets in a private temp folder), not TCP: no port is opened,
  and ipykernel has no reason to print "Kernel is running over TCP without encryption" (its
  ``IPKernelApp.init_sockets`` warns for the tcp transport without CurveZMQ keys). The cause is
  removed; no warning is filtered.
- :meth:`ChapterKernel.stop` always leaves no process behind. jupyter_client's shutdown
  interrupts the kernel (SIGINT to its process group: a running cell raises KeyboardInterrupt,
  so ``finally`` blocks run and an atomic cache write removes its temp file), asks it to shut
  down (its ``atexit`` handlers run, e.g. Ray's), then sends SIGTERM and SIGKILL after
  ``grace`` seconds. Anything of the kernel's process tree still alive after that (a Ray worker
  in its own session, a data-loader worker) is killed, and the temp files those processes held
  open in the watched folders (model cache, output folder) are removed.
- :attr:`ChapterKernel.cpu_s`: user + sys seconds of the kernel and the children it reaped, plus
  the CPU of the Ray tasks it ran (they run outside its process tree; each task measures itself
  and :func:`facerobust.cluster.record_cpu` adds it to a ledger this kernel's environment names).

Kernels are started in their own session, so a terminal's Ctrl-C never reaches them: stopping
them is the runner's job: :func:`stop_on_signals` turns the runner's SIGINT/SIGTERM into a
KeyboardInterrupt once. Used by :func:`facerobust.runner.run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import shutil
import signal
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import psutil

from .cluster import CPU_LEDGER_VAR, ledger_seconds

# Ctrl-C, `kill`, a closed terminal: each stops a chapter cleanly
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def tree(pid: int | None) -> list[psutil.Process]:
    """The process ``pid`` and all its descendants (empty if it is gone)."""
    if pid is None:
        return []
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _temp_files(procs: Iterable[psutil.Process], folders: Iterable[Path]) -> set[Path]:
    """Hidden (temp) files under ``folders`` that any of ``procs`` holds open."""
    roots = [f.resolve() for f in folders]
    held: set[Path] = set()
    for p in procs:
        with contextlib.suppress(psutil.Error):
            for f in p.open_files():
                path = Path(f.path)
                if path.name.startswith(".") and any(r in path.parents for r in roots):
                    held.add(path)
    return held


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def kill_tree(procs: Iterable[psutil.Process], folders: Iterable[Path] = ()) -> list[int]:
    """SIGKILL every process of ``procs`` still alive; remove the temp files they held open in
    ``folders``. Returns the pids killed."""
    alive = [p for p in procs if _alive(p)]
    held = _temp_files(alive, folders)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=3)
    for path in held:
        path.unlink(missing_ok=True)
    return [p.pid for p in alive]


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> list[asyncio.Task[Any]]:
    """Cancel the tasks a KeyboardInterrupt left on ``loop`` (nbclient's cell execution)."""
    tasks = list(asyncio.all_tasks(loop))
    for task in tasks:
        task.cancel()
    return tasks


def _settle(tasks: list[asyncio.Task[Any]]) -> None:
    """Read the outcome of ``tasks`` (they end with nbclient's DeadKernelError once the loop runs
    for the shutdown), so asyncio does not log "Task exception was never retrieved"."""
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


class ChapterKernel:
    """A python3 kernel on IPC sockets; ``km`` is handed to papermill, :meth:`stop` ends it."""

    def __init__(self, watch: Iterable[Path] = (), grace: float = 4.0, settle: float = 1.0) -> None:
        from jupyter_client.manager import AsyncKernelManager

        self._runtime = Path(tempfile.mkdtemp(prefix="facerobust-kernel-"))
        self.km: Any = AsyncKernelManager(
            kernel_name="python3", transport="ipc", ip=str(self._runtime / "ipc"),
            connection_file=str(self._runtime / "kernel.json"))
        self.km.shutdown_wait_time = grace
        self.settle = settle
        self.watch = list(watch)
        self.cpu_s = 0.0
        self.killed: list[int] = []
        self._ledger = self._runtime / "cpu-ledger"
        os.environ[CPU_LEDGER_VAR] = str(self._ledger)  # the kernel started next inherits it
        self._cpu0 = _children_cpu()

    @property
    def pid(self) -> int | None:
        prov = self.km.provisioner
        return getattr(prov, "pid", None) if prov is not None else None

    def stop(self, interrupted: bool = False) -> None:
        """Shut the kernel down, then kill what is left of its process tree. ``interrupted``: a
        cell may be running; interrupt it first and give it ``settle`` seconds to unwind and
        reply, so the shutdown does not close the sockets under its reply (ipykernel would log a
        ZMQError traceback)."""
        from jupyter_core.utils import ensure_event_loop, run_sync

        procs = tree(self.pid)
        left = _cancel_pending(ensure_event_loop()) if interrupted else []
        if interrupted and self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGINT)  # the kernel leads its own process group
            time.sleep(self.settle)
        if self.km.has_kernel:
            try:
                run_sync(self.km.shutdown_kernel)(now=False)
            except Exception:  # a half-started or already dead kernel: the tree kill below ends it
                pass
        _settle(left)
        self.killed = kill_tree(procs, self.watch)
        with contextlib.suppress(Exception):
            self.km.cleanup_connection_file()
            self.km.cleanup_ipc_files()
        self.cpu_s = _children_cpu() - self._cpu0 + ledger_seconds(self._ledger)
        shutil.rmtree(self._runtime, ignore_errors=True)


class Signals:
    """What :func:`stop_on_signals` received; ``armed`` says whether the next one interrupts."""

    def __init__(self) -> None:
        self.got: list[int] = []
        self.armed = True

    def __bool__(self) -> bool:
        return bool(self.got)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[Signals]:
    """While armed, the first of :data:`STOP_SIGNALS` raises KeyboardInterrupt, even when the shell that
    started us left SIGINT ignored (a background job of a non-interactive shell starts so, and
    Python then installs no Ctrl-C handler: the chapter would run to its end). Later signals, and
    any while disarmed (the kernel is being stopped), are only recorded. Restores the handlers."""
    sig = Signals()

    def handler(signum: int, frame: FrameType | None) -> None:
        sig.got.append(signum)
        if sig.armed and len(sig.got) == 1:
            raise KeyboardInterrupt(signal.Signals(signum).name)

    try:
        old = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    except ValueError:  # not the main thread: leave signals alone
        yield sig
        return
    try:
        yield sig
    finally:
        for s, h in old.items():
            signal.signal(s, h)
