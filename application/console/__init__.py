"""The console application: contacts, subscriptions, contact events, the event registry."""
