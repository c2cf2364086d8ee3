"""History for analysts and auditors: decoded event pages, aggregates and views as of a past point.

Everything here reads the event store through the applications' recorders and mappers, so
what it shows is what the domain decodes (upcasters applied, secrets and sealed personal
data exactly as stored: still encrypted). Nothing here writes events.
"""
