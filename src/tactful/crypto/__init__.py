"""Envelope encryption of identifying fields: per-subject data keys under a master key."""
