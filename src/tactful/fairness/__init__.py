"""Fairness audits: measure what the decisions did to groups of people and of providers.

* `policy`: the audit policy (schedule, what is measured, thresholds), as configuration.
* `data`: what an audit reads (`AuditData`), from the store or from an offline evaluation.
* `audit`: `run_audit(data, policy)` computes quality by group, exposure, popularity bias
  and targeting, and checks each figure against its threshold (`AuditResult`).
* `checks`: each figure against its threshold, with one readable sentence per check.
* `validate`: `AuditData` checked before anything is measured, errors naming the field.
* `offline`: `AuditData` from an evaluation protocol (a model's top-k on ml-100k).

Pure: numpy and scipy, no storage, no web framework. Reports (HTML, plots) are adapters in
`tactful.reports`; runs are stored and scheduled by `tactful.services.fairness`.
"""
