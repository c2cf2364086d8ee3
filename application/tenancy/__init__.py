"""The tenancy application: instance, tenants and keys, SMTP accounts, the command log."""

from application.tenancy.app import TenancyApplication

__all__ = ["TenancyApplication"]
