"""What a reader sees of a build: one line per event with the elapsed time, and a closing summary.

::

    book [ci]: 10 chapters into book/chapters, 2 cores (-j 2): 1 up to date, 9 to run
    [  0:00] 00_setup_and_data          up to date
    [  0:00] 01_attribute_networks      started (1 thread)
    [  0:00] 02_attribute_attacks       waiting on 01_attribute_networks
    [  3:10] 01_attribute_networks      done in 3 min 10 s (CPU 3 min 02 s) -> book/chapters/01_...

No per-iteration output: a chapter's own output (progress bars, warnings) goes to its log file.
When nothing happened for ``heartbeat`` seconds, one line says what is still running. Used by
:mod:`facerobust.build`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol, TextIO


class Chapter(Protocol):
    """What the report reads of a chapter of the build (:class:`facerobust.build.Chapter`)."""

    name: str
    state: str
    started: float
    cpu: float
    error: str

    @property
    def partial(self) -> Path: ...

    @property
    def log(self) -> Path: ...


def fmt(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``, ``1 h 02 min``."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min {seconds % 60:02.0f} s"
    return f"{seconds // 3600:.0f} h {seconds % 3600 // 60:02.0f} min"


class Report:
    """Event lines on ``out`` (flushed at once, so ``make book | tee`` shows them as they come)."""

    def __init__(self, out: TextIO, heartbeat: float = 300.0) -> None:
        self.out, self.heartbeat_s = out, heartbeat
        self.t0 = self.last = time.monotonic()

    def _clock(self) -> str:
        s = int(time.monotonic() - self.t0)
        return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:3d}:{s % 60:02d}"

    def line(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def event(self, name: str, text: str) -> None:
        self.last = time.monotonic()
        self.line(f"[{self._clock()}] {name:<26} {text}")

    def heartbeat(self, running: Sequence[Chapter]) -> None:
        if running and time.monotonic() - self.last >= self.heartbeat_s:
            now = time.monotonic()
            self.event("build", "running: " + ", ".join(f"{c.name} ({fmt(now - c.started)})"
                                                       for c in running))

    def begin(self, chapters: Iterable[Chapter], profile: str, outdir: Path, jobs: int) -> None:
        cs = list(chapters)
        fresh = [c for c in cs if c.state == "up to date"]
        cores = f"{jobs} core{'s' if jobs != 1 else ''} (-j {jobs})"
        self.line(f"book [{profile}]: {len(cs)} chapters into {outdir}, {cores}: "
                  f"{len(fresh)} up to date, {len(cs) - len(fresh)} to run")
        for c in fresh:
            self.event(c.name, "up to date")

    def end(self, chapters: Iterable[Chapter], interrupted: bool) -> None:
        cs = list(chapters)
        by = {s: [c for c in cs if c.state == s] for s in
              ("done", "up to date", "failed", "skipped", "stopped", "pending")}
        cpu = sum(c.cpu for c in cs)
        halted = f", {len(by['stopped'])} stopped, {len(by['pending'])} not started" if interrupted else ""
        self.line(f"book: {len(by['done'])} ran (CPU {fmt(cpu)}), {len(by['up to date'])} up to date, "
                  f"{len(by['failed'])} failed, {len(by['skipped'])} skipped{halted} "
                  f"in {fmt(time.monotonic() - self.t0)}")
        for c in by["failed"]:
            partial = f"partial notebook {c.partial}; " if c.partial.exists() else ""
            self.line(f"error: {c.name} failed: {c.error}\n       {partial}log {c.log}")
        for c in by["skipped"]:
            self.line(f"error: {c.name} skipped: it {c.error}")
        if interrupted:
            kept = by["done"] + by["up to date"]
            names = ", ".join(c.name for c in kept) or "none"
            self.line(f"interrupted. Kept (complete, up to date): {names}")
            if by["stopped"]:
                self.line("Stopped, nothing written (an older output, if any, is unchanged): "
                          + ", ".join(c.name for c in by["stopped"]))
            self.line("Resume with the same command (e.g. `make book`): chapters up to date are skipped.")
