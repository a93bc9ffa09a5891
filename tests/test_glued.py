"""glued.show: every value is glued and printed, so a plain notebook shows the prose's numbers."""

from __future__ import annotations

import pytest
from facerobust import glued


def test_show_prints_every_value(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}
    monkeypatch.setattr("myst_nb.glue", lambda name, value, display=True: seen.update({name: value}))
    glued.show(acc=0.98765, n=24, verdict="holds", flag=True)
    out = capsys.readouterr().out
    assert out.strip() == "acc = 0.9877  n = 24  verdict = holds  flag = True"
    assert seen == {"acc": 0.98765, "n": 24, "verdict": "holds", "flag": True}
    with pytest.raises(ValueError):
        glued.show()
