"""Step 2: which of a person's signals the level and the granted purposes allow."""
