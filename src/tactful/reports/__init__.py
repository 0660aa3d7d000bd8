"""Printable HTML reports with plots: a fairness audit and the ethics report.

Adapters around the pure core: they take the JSON-ready results of `tactful.fairness` and
of `tactful.services.ethics` and render self-contained HTML (plots as inline SVG drawn by
matplotlib, no file or address fetched), so a report can be mailed or printed as it is.
"""
