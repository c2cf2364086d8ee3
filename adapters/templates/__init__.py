"""Template adapters: the MJML compiler, the sandboxed Jinja renderer, the Mail-Tester client."""
