"""Training runs: build the consented interaction matrix, fit, save a new model version."""
