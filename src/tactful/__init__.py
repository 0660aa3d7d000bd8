"""Tactful: personalization that marketers can trust and consumers can control.

The public Python API::

    from tactful import Tactful, load_settings

    service = Tactful(load_settings(data_dir="var"))
    service.ingest_items([...])
    record = service.recommend("alice", k=10)
"""

# Set before the imports below: modules they load record the version in their outputs.
__version__ = "0.1.0"

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
