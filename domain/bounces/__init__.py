"""Bounces and complaints: the classification table, parsed reports, the InboundReport."""
