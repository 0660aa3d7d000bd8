"""Plain value types shared by every step of the decision pipeline."""
