"""`tactful lint-copy`, run through the installed console script as a person would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.main import get_command

from tactful.cli import app, copylint

TACTFUL = Path(sys.executable).parent / "tactful"
REGISTERED = "lint-copy" in get_command(app).commands  # type: ignore[attr-defined]


def run(
    *args: str, stdin: str | None = None, script: bool = True
) -> subprocess.CompletedProcess[str]:
    """Through the console script, or (before the command is registered there) through a
    Typer app that registers it the same way."""
    env = {**os.environ, "COLUMNS": "200"}
    if script:
        cmd = [str(TACTFUL), *args]
    else:
        code = (
            "import typer\nfrom tactful.cli import copylint\n"
            "app = typer.Typer()\ncopylint.register(app)\n"
            "app.command('noop')(lambda: None)\napp()\n"
        )
        cmd = [sys.executable, "-c", code, *args]
    return subprocess.run(
        cmd, input=stdin, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("script", [False, True])
def test_lint_copy_exit_codes_and_output(script: bool, tmp_path: Path) -> None:
    if script and not REGISTERED:
        pytest.xfail("the lead adds copylint.register(app) to tactful.cli")
    manipulative = tmp_path / "m.txt"
    manipulative.write_text("Hej Zoë 👋\nHurry! Only 2 left.\n", encoding="utf-8")
    out = run("lint-copy", str(manipulative), script=script)
    assert out.returncode == 1, out.stderr
    assert "2:1 false_urgency" in out.stdout
    assert "2:8 false_scarcity" in out.stdout

    out = run("lint-copy", "-", "--json", stdin="Ticket £30*", script=script)
    assert out.returncode == 1, out.stderr
    (finding,) = json.loads(out.stdout)
    assert finding["pattern"] == "hidden_costs"
    assert finding["line"] == 1

    fair = tmp_path / "f.txt"
    fair.write_text("Our sale ends on 31 August. Free delivery, no hidden fees.\n", "utf-8")
    out = run("lint-copy", str(fair), script=script)
    assert out.returncode == 0, out.stdout
    assert "clean" in out.stdout


@pytest.mark.parametrize("script", [False, True])
def test_lint_copy_bad_input_exits_2_without_traceback(script: bool, tmp_path: Path) -> None:
    if script and not REGISTERED:
        pytest.xfail("the lead adds copylint.register(app) to tactful.cli")
    empty = tmp_path / "empty.txt"
    empty.write_text("", "utf-8")
    huge = tmp_path / "huge.txt"
    huge.write_text("a" * 20_001, "utf-8")
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    for path, message in [
        (empty, "empty"),
        (huge, "limit is 20,000"),
        (binary, "not UTF-8"),
        (tmp_path / "missing.txt", "Cannot read"),
    ]:
        out = run("lint-copy", str(path), script=script)
        assert out.returncode == 2, (path, out.stdout, out.stderr)
        assert message in out.stderr
        assert "Traceback" not in out.stderr


def test_register_adds_the_command() -> None:
    probe = typer.Typer()
    copylint.register(probe)
    probe.command("noop")(lambda: None)
    assert "lint-copy" in get_command(probe).commands  # type: ignore[attr-defined]
