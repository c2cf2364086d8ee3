"""The console context: contacts and their consent, contact events, the event registry."""
