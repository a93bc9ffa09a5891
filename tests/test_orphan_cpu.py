"""The runner counts the CPU time of processes its chapter left behind (chapter_kernel.adopt_orphans)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

# a child that starts a grandchild burning ~0.6 s of CPU and exits at once: the grandchild is an orphan
_PROBE = textwrap.dedent("""
    import json, resource, subprocess, sys, time
    from facerobust.chapter_kernel import adopt_orphans, reap_adopted
    adopted = adopt_orphans() if sys.argv[1] == "adopt" else False
    burn = "import time\\nt = time.process_time()\\nwhile time.process_time() - t < 0.6: pass"
    subprocess.run([sys.executable, "-c",
                    f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', {burn!r}])"], check=True)
    time.sleep(2.5)
    reaped = reap_adopted()
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"adopted": adopted, "reaped": len(reaped), "cpu": ru.ru_utime + ru.ru_stime}))
""")


def _probe(mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a child subreaper is a Linux feature")
def test_an_orphans_cpu_is_counted_once_adopted() -> None:
    without, adopted = _probe("plain"), _probe("adopt")
    assert adopted["adopted"] and adopted["reaped"] == 1
    assert adopted["cpu"] >= 0.5, adopted  # the orphan's 0.6 s is in RUSAGE_CHILDREN
    assert without["cpu"] < 0.5, without  # init reaped it: lost (the runner's old CPU column)
