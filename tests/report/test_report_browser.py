"""The report page in a real browser: headless Chromium loads it from disk, and a probe
finds the tables, the decoded pictures and the laid-out figures (and no injected markup).

Skipped only where Debian's `chromium` is not installed (.ci/run installs it).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from report_fixture import HOSTILE_TEXT, hostile_inputs, report_inputs

from reporting.html_page import render_report

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=5000")
# Runs after load (pictures decoded); writes what it sees into an attribute of <body>.
PROBE = """<script>
window.addEventListener("load", () => {
  const all = (s) => Array.from(document.querySelectorAll(s));
  const size = (e) => { const r = e.getBoundingClientRect();
                        return [Math.round(r.width), Math.round(r.height)]; };
  document.body.setAttribute("data-probe", JSON.stringify({
    title: document.title,
    h2: all("h2").map((h) => h.textContent),
    tables: all("table").map((t) => t.rows.length),
    first_row: all("table")[0].rows[1].cells[0].textContent,
    images: all("img").map((i) => [i.complete, i.naturalWidth, i.naturalHeight]),
    figures: all("figure svg").map(size),
    legend: all("figure svg text").map((t) => t.textContent.trim()),
    scripts: document.scripts.length,
    handlers: all("*").filter((e) => Array.from(e.attributes).some(
      (a) => a.name.startsWith("on"))).length,
    text: document.body.innerText,
  }));
});
</script>
"""


def browse(page: str, tmp_path: Path) -> dict[str, Any]:
    """Load `page` (plus the probe) from a file:// URL; what the probe saw."""
    assert page.count("</body>") == 1
    file = tmp_path / "index.html"
    file.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    profile = tmp_path / "profile"
    profile.mkdir()
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                           file.as_uri()], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'data-probe="([^"]*)"', done.stdout)
    assert found, f"probe did not run: {done.stdout[:500]!r}"
    return json.loads(html.unescape(found.group(1)))


def test_chromium_finds_the_tables_and_figures(tmp_path: Path) -> None:
    seen = browse(render_report(report_inputs()), tmp_path)
    assert seen["title"] == "SimGAN gaze"
    assert seen["h2"] == ["Samples", "Results on the real test set", "Error distribution",
                          "Ablations", "Refiner training", "Stage figures"]
    assert seen["tables"] == [4, 2, 3]  # header + 3 training sets; 1 ablation; 2 figures
    assert seen["first_row"] == "synthetic"
    assert seen["images"] == [[True, 55, 35]]  # the PNG decoded at its size
    assert len(seen["figures"]) == 3  # error CDF, losses, discriminator accuracy
    assert all(w >= 400 and h >= 200 for w, h in seen["figures"]), seen["figures"]
    assert {"refined", "real_oracle (upper bound: real labels)", "loss_reg",
            "disc_acc_real", "pretrain_disc"} <= set(seen["legend"])
    assert seen["scripts"] == 1 and seen["handlers"] == 0  # the probe only
    assert "11.47 ± 0.21" in seen["text"]


def test_chromium_shows_hostile_strings_as_text(tmp_path: Path) -> None:
    seen = browse(render_report(hostile_inputs()), tmp_path)
    assert seen["scripts"] == 1 and seen["handlers"] == 0  # nothing injected ran or parsed
    assert len(seen["images"]) == 1 and len(seen["tables"]) == 3
    assert seen["title"] == f"report {HOSTILE_TEXT}"
    assert seen["text"].count(HOSTILE_TEXT) >= 4
    assert HOSTILE_TEXT in seen["legend"]
