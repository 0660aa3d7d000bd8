"""The README's screenshots are of the pages as they are now: retaken by
`scripts/screenshots.py` whenever a template, the style sheet or a catalogue changes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from screenshots import MANIFEST, SHOTS, pages_digest  # noqa: E402


def test_the_readme_shows_both_screenshots() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in SHOTS:
        assert f"docs/img/{name}.png" in readme
        image = ROOT / "docs" / "img" / f"{name}.png"
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert image.stat().st_size > 10_000


def test_the_screenshots_were_taken_of_the_current_pages() -> None:
    recorded = json.loads(MANIFEST.read_text())
    assert recorded["pages_digest"] == pages_digest(), (
        "the pages changed since the screenshots were taken: run "
        ".venv/bin/python scripts/screenshots.py"
    )


def test_the_digest_changes_with_any_page_source(tmp_path: Path) -> None:
    template = tmp_path / "src/tactful/templates/web/page.html"
    template.parent.mkdir(parents=True)
    template.write_text("<p>one</p>")
    before = pages_digest(tmp_path)
    template.write_text("<p>two</p>")
    assert pages_digest(tmp_path) != before
