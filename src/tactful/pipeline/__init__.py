"""The one code path every recommendation goes through; see `tactful.pipeline.decide`."""
