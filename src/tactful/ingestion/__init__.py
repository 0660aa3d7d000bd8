"""Validated, atomic, minimised ingestion of items, subjects and events."""
