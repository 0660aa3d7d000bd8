"""Tactful: personalization that marketers can trust and consumers can control."""

__version__ = "0.1.0"

__all__ = ["__version__"]
