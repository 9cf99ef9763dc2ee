"""insight layer."""
