"""Step 1 of every decision: what has this person agreed to?"""
