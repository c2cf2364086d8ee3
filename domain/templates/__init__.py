"""The content context: templates, their immutable versions, the linter and its settings."""
