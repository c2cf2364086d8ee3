"""The sending application: messages, the dispatcher's claims and outcomes."""
