"""The tenancy context: tenants (with their key and suspensions) and SMTP accounts."""
