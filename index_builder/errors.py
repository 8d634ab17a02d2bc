"""The project's own errors: everything a user can cause and fix. Command lines show these as one line."""


class WsdError(Exception):
    """Base of every error the project raises on purpose (bad input, bad files, bad settings)."""
