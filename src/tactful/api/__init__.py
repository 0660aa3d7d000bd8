"""HTTP adapter: FastAPI routes over `tactful.service.Tactful`."""

from tactful.api.app import create_app

__all__ = ["create_app"]
