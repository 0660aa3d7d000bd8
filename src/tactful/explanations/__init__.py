"""Step 6: a plain-language reason, the signals used and the purposes relied on, per item."""
