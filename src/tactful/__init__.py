"""Tactful: personalization that marketers can trust and consumers can control.

The public Python API::

    from tactful import Tactful, load_settings

    service = Tactful(load_settings(data_dir="var"))
    service.ingest_items([...])
    record = service.recommend("alice", k=10)
"""

from tactful.errors import (
    BatchRejected,
    Conflict,
    FieldError,
    InvalidInput,
    ModelNotTrained,
    NotFound,
    StoreUnavailable,
    TactfulError,
    Unauthorized,
)
from tactful.service import IngestResult, Tactful
from tactful.settings import Settings, load_settings

__version__ = "0.1.0"

__all__ = [
    "BatchRejected",
    "Conflict",
    "FieldError",
    "IngestResult",
    "InvalidInput",
    "ModelNotTrained",
    "NotFound",
    "Settings",
    "StoreUnavailable",
    "Tactful",
    "TactfulError",
    "Unauthorized",
    "__version__",
    "load_settings",
]
