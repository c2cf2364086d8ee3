"""The content application: templates, publishing behind the linter and the Mail-Tester gate."""
