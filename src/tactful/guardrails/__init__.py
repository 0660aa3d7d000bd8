"""Step 4: what may never be shown, whatever the model scored."""
