"""Private helpers shared across b2m (atomic writes, validation, progress bars)."""
