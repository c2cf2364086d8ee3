"""Reputation: health, DNSBL, DMARC, Postmaster, SNDS, hygiene (console.md §11-§15)."""
