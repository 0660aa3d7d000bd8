"""Step 7: the record kept of every decision."""
