"""The accountability trail: who did what to whose data, in a log that shows tampering."""
