"""Read models of the tenancy context."""
