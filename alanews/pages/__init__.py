"""Page classes: they read one response and make no requests."""
