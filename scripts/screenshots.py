"""Retake the README's screenshots of the Privacy Center and the Operator Console.

    .venv/bin/python scripts/screenshots.py

Runs the browser tests (`tests/browser`, Debian's Chromium) with TACTFUL_SCREENSHOTS set,
so the tests that walk each page save what they see to `docs/img/*.png`, then records the
digest of the page sources the pictures were taken from in `docs/img/screenshots.json`.
`tests/web/test_screenshots.py` fails when the pages change and the pictures do not.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "img"
MANIFEST = IMAGES / "screenshots.json"
SHOTS = ("privacy-center", "privacy-center-fr", "console", "console-complaint", "console-audit")
SOURCES = (
    "src/tactful/templates/web",
    "src/tactful/web/static",
    "src/tactful/locales",
)


def pages_digest(root: Path = ROOT) -> str:
    """sha256 over every template, style sheet and catalogue of the pages."""
    digest = hashlib.sha256()
    for folder in SOURCES:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(root).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def main() -> int:
    env = {**os.environ, "TACTFUL_SCREENSHOTS": str(IMAGES)}
    for name in SHOTS:
        (IMAGES / f"{name}.png").unlink(missing_ok=True)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "tests/browser"],
        cwd=ROOT,
        env=env,
        check=False,
    )
    if run.returncode != 0:
        print("the browser tests failed; screenshots not recorded", file=sys.stderr)
        return 1
    missing = [name for name in SHOTS if not (IMAGES / f"{name}.png").exists()]
    if missing:
        print(f"no screenshot taken for {', '.join(missing)}", file=sys.stderr)
        return 1
    MANIFEST.write_text(
        json.dumps({"pages_digest": pages_digest(), "images": [f"{n}.png" for n in SHOTS]}) + "\n"
    )
    for name in SHOTS:
        print(f"wrote docs/img/{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
