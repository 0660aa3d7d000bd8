"""CLI commands for the notice, consent receipts, subject tokens and retention."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tactful.cli.common import DataDir, console, fail, open_service, settings_for
from tactful.errors import FieldError, InvalidInput, TactfulError

notice_app = typer.Typer(help="The privacy notice: show it, publish a new version, list versions.")
receipts_app = typer.Typer(help="Consent receipts: verify a receipt file, list a subject's.")
retention_app = typer.Typer(help="Delete data whose retention has ended.")


def _print_json(value: Any) -> None:
    console.print_json(json.dumps(value, default=str))


@notice_app.command("publish")
def notice_publish(
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Notice TOML (default: $TACTFUL_NOTICE_FILE or packaged)."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Publish the notice file as the newest version (no change if already published)."""
    overrides = {"notice_file": file} if file is not None else {}
    with open_service(data_dir, **overrides) as service:
        current = service.notices.current()
    console.print(
        f"notice [bold]{current.notice.version}[/bold] in force "
        f"(published {current.published_at:%Y-%m-%d %H:%M} UTC)"
    )
    for code, reasons in current.changes.items():
        console.print(f"  {code}: {'; '.join(reasons)} [yellow](earlier grants now stale)[/yellow]")


@notice_app.command("show")
def notice_show(
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole notice.")] = False,
) -> None:
    """The notice in force, with its purposes."""
    with open_service(data_dir) as service:
        notice = service.notice()
    if as_json:
        _print_json(notice)
        return
    console.print(f"[bold]{notice['title']}[/bold] (version {notice['version']})\n")
    console.print(notice["text"])
    table = Table("purpose", "title", "data", "retention", "legal basis")
    for p in notice["purposes"]:
        table.add_row(
            p["purpose"],
            p["title"],
            ", ".join(p["data_categories"]) or "-",
            f"{p['retention_days']} days",
            p["legal_basis"],
        )
    console.print(table)


@notice_app.command("versions")
def notice_versions(data_dir: DataDir = None) -> None:
    """Every published version, oldest first, with what it changed."""
    with open_service(data_dir) as service:
        versions = service.notice_versions()
    table = Table("version", "published", "material changes")
    for v in versions:
        changes = "; ".join(f"{c}: {', '.join(r)}" for c, r in v["changes"].items())
        table.add_row(v["version"], v["published_at"], changes or "-")
    console.print(table)


@receipts_app.command("verify")
def receipts_verify(
    file: Annotated[Path, typer.Argument(help="A receipt: the JWS text, or JSON with a 'jws'.")],
    jwks: Annotated[
        Path | None,
        typer.Option(help="JWKS file (a saved /.well-known/jwks.json); default: the local key."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Check a receipt's signature offline; exit 0 if it verifies, 2 if not."""
    from tactful.consent.signing import ReceiptSigner, read_receipt_file, verify_receipt

    try:
        token = read_receipt_file(file)
        if jwks is not None:
            keys = _read_json(jwks, "jwks")
        else:
            settings = settings_for(data_dir)
            keys = ReceiptSigner.load_or_create(
                settings.resolved_receipt_key_file, create=False
            ).jwks()
        claims = verify_receipt(token, keys)
    except TactfulError as exc:
        fail(exc)
        return
    choices = claims.get("tactful", {}).get("choices", [])
    console.print(f"[green]valid[/green] receipt {claims.get('consentReceiptID')}")
    console.print(f"  person: {claims.get('piiPrincipalId')}")
    console.print(f"  issued: {claims.get('consentTimestamp')} ({claims.get('collectionMethod')})")
    for choice in choices:
        console.print(f"  {choice['purpose']}: {choice['status']}")


def _read_json(path: Path, field: str) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise InvalidInput(
            f"Cannot read {path}: {exc.strerror or exc}.", [FieldError(field, "unreadable")]
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} is not JSON: {exc}.", [FieldError(field, str(exc))]) from None


@receipts_app.command("list")
def receipts_list(subject: str, data_dir: DataDir = None) -> None:
    """A subject's receipts, newest first."""
    with open_service(data_dir) as service:
        receipts = service.receipts(subject)
    table = Table("receipt", "issued", "method", "notice", "choices")
    for r in receipts:
        table.add_row(
            r["receipt_id"],
            r["issued_at"],
            r["method"],
            r["notice_version"],
            ", ".join(f"{c['purpose']}={c['status']}" for c in r["choices"]),
        )
    console.print(table)


def token(
    subject: str,
    data_dir: DataDir = None,
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds.")] = 3600,
    link: Annotated[
        bool, typer.Option("--link", help="Print the link that opens their Privacy Center.")
    ] = False,
) -> None:
    """Issue a subject token for the consumer API (/v1/me) and print it."""
    with open_service(data_dir) as service:
        issued = service.issue_token(subject, ttl)
        base = service.settings.resolved_public_url.rstrip("/")
    typer.echo(f"{base}/privacy-center?token={issued['token']}" if link else issued["token"])


@retention_app.command("run")
def retention_run(
    data_dir: DataDir = None,
    dry_run: Annotated[bool, typer.Option(help="Count what would go; delete nothing.")] = False,
) -> None:
    """Delete events past their purposes' retention, old decision and messaging records, and
    protections long ended."""
    with open_service(data_dir) as service:
        report = service.run_retention(dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    events = report.get("events_deleted", report.get("events_expired", 0))
    decisions = report.get("decisions_deleted", report.get("decisions_expired", 0))
    accounts = report.get("account_decisions_deleted", report.get("account_decisions_expired", 0))
    messages = report.get("messages_deleted", report.get("messages_expired", 0))
    ended = report.get("protections_deleted", report.get("protections_expired", 0))
    console.print(
        f"{verb} {events} events, {decisions} decision records, {accounts} account decision "
        f"records, {messages} messaging decisions and {ended} long-ended protections"
    )
    for group in report["events"]:
        console.print(
            f"  {group['count']} under {', '.join(group['purposes'])} "
            f"(kept {group['retention_days']} days, before {group['before']})"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(notice_app, name="notice")
    app.add_typer(receipts_app, name="receipts")
    app.add_typer(retention_app, name="retention")
    app.command("token")(token)
