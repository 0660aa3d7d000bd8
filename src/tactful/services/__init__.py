"""Adapters between the pure consent and transparency core and the store.

Each service reads what a core function needs, calls it, and writes the outcome in one
transaction; `tactful.service.Tactful` composes them.
"""
