"""Build the book's chapters as a dependency graph on ``-j N`` cores, each in its own process.

``python -m facerobust.runner notebooks/*.py --outdir book/chapters -j 2`` (``make book``):

- a chapter starts when the chapters it ``needs`` (``params/NN_name.yml``) that are part of the
  build are done, and when its cores are free: it occupies its profile's ``threads`` (what
  ``session.start`` gives it; the build never changes a chapter's thread count, so scheduling
  cannot change a result), and chapters are packed into the ``-j`` cores, the one with the
  longest remaining chain first (durations from the last run's metadata);
- each chapter runs as ``python -m facerobust.runner NB -o OUT --force`` in a child process whose
  output goes to ``OUTDIR/.logs/NAME.log``; the reader sees one line per event (started, waiting,
  done with wall and CPU time, failed, skipped) with the elapsed time;
- a chapter that fails does not stop the others; the chapters that need it are skipped, and the
  build ends non-zero naming every failed chapter, its partial notebook and its log;
- SIGINT (Ctrl-C), SIGTERM or SIGHUP stops the build: no new chapter starts, the running ones are told to
  stop (each stops its kernel and writes nothing), any still alive after ``grace`` seconds is
  killed with its whole process tree, and the build says what was kept and how to resume
  (rerunning skips the chapters that are up to date).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from .build_report import Report, fmt
from .chapter_graph import graph
from .chapter_kernel import STOP_SIGNALS
from .chapter_keys import INTERRUPTED, chapter_keys, stored, temp_files, threads_of
from .params import minutes


@dataclass
class Chapter:
    """One chapter of a build and its state: pending, running, done, up to date, failed, skipped,
    stopped."""

    name: str
    source: Path
    output: Path
    needs: tuple[str, ...]
    threads: int
    key: str
    estimate: float
    state: str = "pending"
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    wall: float = 0.0
    cpu: float = 0.0
    error: str = ""
    said: str = ""  # the last waiting message given, so each is said once

    @property
    def log(self) -> Path:
        """The chapter process's own output (kernel warnings, its error line): ``OUTDIR/.logs/``."""
        return self.output.parent / ".logs" / f"{self.name}.log"

    @property
    def partial(self) -> Path:
        return self.output.with_suffix(".failed.ipynb")


def plan(notebooks: list[Path], outdir: Path, profile: str, overrides: dict[str, Any],
         force: bool) -> dict[str, Chapter]:
    """The build's chapters with their keys, threads and what they need within the build; those
    whose output carries their key are up to date (unless ``force``)."""
    folder = notebooks[0].parent
    edges = graph(folder)
    names = [nb.stem for nb in notebooks]
    keys = chapter_keys(folder, names, profile, overrides)
    chapters = {}
    for nb in notebooks:
        out = outdir / f"{nb.stem}.ipynb"
        meta = stored(out)
        c = Chapter(nb.stem, nb, out, tuple(d for d in edges.get(nb.stem, ()) if d in names),
                    threads_of(nb.stem, profile, overrides), keys[nb.stem],
                    _estimate(meta, nb.stem, profile))
        if not force and meta.get("digest") == c.key:
            c.state = "up to date"
        chapters[c.name] = c
    return chapters


def _estimate(meta: dict[str, Any], chapter: str, profile: str) -> float:
    """Seconds a chapter is expected to take: the last run's measured wall time, else its params
    file's ``minutes:`` for the profile (a fresh clone), else a minute."""
    if "wall_s" in meta:
        return float(meta["wall_s"])
    got = minutes(chapter, profile)
    return 60.0 if got is None else 60.0 * got


def _chain(chapters: dict[str, Chapter]) -> dict[str, float]:
    """Each chapter's estimate plus the longest chain of chapters that need it (priority)."""
    memo: dict[str, float] = {}

    def chain(name: str) -> float:
        if name not in memo:
            after = [chain(c.name) for c in chapters.values() if name in c.needs]
            memo[name] = chapters[name].estimate + max(after, default=0.0)
        return memo[name]

    return {n: chain(n) for n in chapters}


class Build:
    """The scheduler: starts, reaps and stops the chapters' processes."""

    def __init__(self, chapters: dict[str, Chapter], profile: str, overrides: dict[str, Any],
                 jobs: int, report: Report, grace: float = 10.0) -> None:
        self.chapters, self.profile, self.overrides = chapters, profile, overrides
        self.jobs, self.report, self.grace = jobs, report, grace
        self.priority = _chain(chapters)
        self.signal: int | None = None

    def _cores(self, c: Chapter) -> int:
        return min(c.threads, self.jobs)

    def busy(self) -> int:
        return sum(self._cores(c) for c in self.running())

    def running(self) -> list[Chapter]:
        return [c for c in self.chapters.values() if c.state == "running"]

    def _start(self, c: Chapter) -> None:
        cmd = [sys.executable, "-m", "facerobust.runner", str(c.source), "--profile", self.profile,
               "-o", str(c.output), "--force"]
        for k, v in self.overrides.items():
            cmd += ["-p", k, repr(v)]
        c.log.parent.mkdir(parents=True, exist_ok=True)
        with c.log.open("wb") as log:
            c.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                      env={**os.environ, "PYTHONUNBUFFERED": "1"})
        c.state, c.started = "running", time.monotonic()
        plural = "s" if c.threads != 1 else ""
        self.report.event(c.name, f"started ({c.threads} thread{plural})")

    def _skip_after_failures(self) -> None:
        changed = True
        while changed:
            changed = False
            for c in self.chapters.values():
                bad = [d for d in c.needs if self.chapters[d].state in ("failed", "skipped")]
                if c.state == "pending" and bad:
                    c.state, c.error, changed = "skipped", f"needs {', '.join(bad)}", True
                    self.report.event(c.name, f"skipped: needs {', '.join(bad)}, which did not build")

    def _start_ready(self) -> None:
        self._skip_after_failures()
        pending = [c for c in self.chapters.values() if c.state == "pending"]
        for c in sorted(pending, key=lambda c: (-self.priority[c.name], c.name)):
            waiting = [d for d in c.needs if self.chapters[d].state not in ("done", "up to date")]
            if waiting:
                self._say(c, f"waiting on {', '.join(waiting)}")
            elif self.running() and self.busy() + self._cores(c) > self.jobs:
                self._say(c, f"waiting for a core ({self.busy()} of {self.jobs} busy)")
            else:
                self._start(c)

    def _say(self, c: Chapter, text: str) -> None:
        kind = text.split(" (")[0]
        if c.said != kind:
            c.said = kind
            self.report.event(c.name, text)

    def _reap(self, c: Chapter, block: bool = False) -> bool:
        assert c.proc is not None
        pid, status, usage = os.wait4(c.proc.pid, 0 if block else os.WNOHANG)
        if pid == 0:
            return False
        c.proc.returncode = os.waitstatus_to_exitcode(status)
        c.wall, c.cpu = time.monotonic() - c.started, usage.ru_utime + usage.ru_stime
        code = c.proc.returncode
        if code == 0:
            # the chapter's own count (its kernel plus its Ray tasks, which the OS's count misses), the
            # number its notebook and the run-time table carry
            c.cpu = float(stored(c.output).get("cpu_s", c.cpu))
            c.state = "done"
            self.report.event(c.name, f"done in {fmt(c.wall)} (CPU {fmt(c.cpu)}) -> {c.output}")
        elif self.signal is not None:
            c.state = "stopped"
            self.report.event(c.name, f"stopped after {fmt(c.wall)}")
        else:
            c.state, c.error = "failed", _error_line(c.log) or f"exit code {code}"
            self.report.event(c.name, f"failed after {fmt(c.wall)}: {c.error}")
        return True

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.signal is None:
            self.signal = signum

    def run(self) -> None:
        """Start and reap chapters until all are settled or a signal arrives, then stop."""
        old = {s: signal.signal(s, self._on_signal) for s in STOP_SIGNALS}
        try:
            while self.signal is None:
                self._start_ready()
                for c in self.running():
                    self._reap(c)
                if not self.running() and not any(c.state == "pending" for c in self.chapters.values()):
                    break
                self.report.heartbeat(self.running())
                time.sleep(0.2)
            if self.signal is not None:
                self.stop()
        finally:
            for s, h in old.items():
                signal.signal(s, h)

    def stop(self) -> None:
        """Tell the running chapters to stop; kill what is still alive after ``grace``."""
        from .chapter_kernel import kill_tree, tree
        from .paths import cache_dir

        name = signal.Signals(self.signal or signal.SIGINT).name
        running = self.running()
        self.report.event("build", f"{name}: stopping {', '.join(c.name for c in running) or 'nothing'}"
                          "; no new chapter starts")
        for c in running:
            assert c.proc is not None
            try:
                os.kill(c.proc.pid, signal.SIGINT)  # it may have had the terminal's already: one acts
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + self.grace
        while self.running() and time.monotonic() < deadline:
            for c in self.running():
                self._reap(c)
            time.sleep(0.1)
        for c in self.running():
            assert c.proc is not None
            killed = kill_tree(tree(c.proc.pid), [c.output.parent, cache_dir()])
            self._reap(c, block=True)
            self.report.event(c.name, f"killed ({len(killed)} processes) after {self.grace:.0f} s")
            for tmp in temp_files(c.output):
                tmp.unlink(missing_ok=True)


def _error_line(log: Path) -> str:
    """The runner's one-line ``error:`` message from a chapter's log (the cell's error)."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    errors = [ln for ln in lines if ln.startswith("error: ")]
    return errors[-1].split(": ", 2)[-1] if errors else ""


def build(notebooks: list[Path], outdir: Path, profile: str, overrides: dict[str, Any], jobs: int = 1,
          force: bool = False, out: TextIO | None = None) -> int:
    """Build ``notebooks`` into ``outdir``; 0 if every chapter is done or up to date, 1 if one
    failed or was skipped, 130 after SIGINT/SIGTERM."""
    report = Report(out or sys.stdout)
    chapters = plan(notebooks, outdir, profile, overrides, force)
    report.begin(chapters.values(), profile, outdir, jobs)
    b = Build(chapters, profile, overrides, jobs, report)
    b.run()
    report.end(chapters.values(), interrupted=b.signal is not None)
    if b.signal is not None:
        return INTERRUPTED
    return 0 if all(c.state in ("done", "up to date") for c in chapters.values()) else 1
