"""A synthetic but realistic shop to try Tactful on: catalog, people, consent and events.

`tactful.demo.generator.generate` builds it as plain data from a seed; storing it is the
job of the adapters that load it.
"""
