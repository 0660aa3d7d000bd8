"""Messaging decisions: whether one outgoing message may be sent now, and why (or why not)."""
