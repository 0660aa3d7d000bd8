"""The README is a contract: every setting and every endpoint is documented there."""

from __future__ import annotations

from pathlib import Path

from tactful.api.app import create_app
from tactful.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_documented_and_described() -> None:
    for name, field in Settings.model_fields.items():
        assert f"`TACTFUL_{name.upper()}`" in README, name
        assert field.description, name


def test_every_endpoint_is_documented(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, api_key="k" * 32))  # type: ignore[arg-type]
    spec = app.openapi()
    for path, methods in spec["paths"].items():
        for method in methods:
            documented = path.replace("{subject_id}", "{id}")
            assert f"`{method.upper()} {documented}" in README, (method, path)


def test_the_readme_gives_the_two_commands() -> None:
    assert "make demo" in README
    assert "make test" in README


def test_operator_operations_declare_the_key(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, api_key="k" * 32))  # type: ignore[arg-type]
    spec = app.openapi()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["operatorKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    public = ("/v1/notice", "/v1/transparency/", "/v1/receipts/verify", "/v1/schemas/")
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            security = operation.get("security")
            # A request's status page: its random id is the capability, and it names no one.
            status_page = path == "/v1/rights-requests/{request_id}/status"
            if path == "/v1/me" or path.startswith("/v1/me/"):
                assert security == [{"subjectToken": []}], path
            elif (
                path.startswith("/v1/")
                and not path.startswith(public)
                and not status_page
                # A one-click unsubscribe link: its random token is the capability (RFC 8058).
                and not path.startswith("/v1/unsubscribe/")
            ):
                assert {"operatorKey": []} in security, path
            else:
                assert security is None, path
