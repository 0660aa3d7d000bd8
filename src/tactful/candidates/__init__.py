"""Step 3: candidate generation by recommenders trained on consented interactions."""
