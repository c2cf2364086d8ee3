"""Console controllers under /admin/api (console.md §0-§7, §16)."""

from api.controllers.admin.audit import AuditController
from api.controllers.admin.broadcast_actions import BroadcastsController
from api.controllers.admin.contact_writes import ContactsController
from api.controllers.admin.dashboard import DashboardController
from api.controllers.admin.dmarc import DmarcController
from api.controllers.admin.dmarc_mailbox import DmarcMailboxController
from api.controllers.admin.dnsbl import DnsblController
from api.controllers.admin.events import EventsController
from api.controllers.admin.flows import FlowsController
from api.controllers.admin.health import HealthController
from api.controllers.admin.hygiene import HygieneController
from api.controllers.admin.identity import IdentityController
from api.controllers.admin.postmaster import PostmasterController, SndsController
from api.controllers.admin.sends import SendsReadController, WebhooksController
from api.controllers.admin.settings import SettingsController
from api.controllers.admin.suppressions import SuppressionsController
from api.controllers.admin.template_tests import TemplatesController

ADMIN_CONTROLLERS = [
    IdentityController,
    ContactsController,
    SuppressionsController,
    EventsController,
    AuditController,
    TemplatesController,
    SettingsController,
    SendsReadController,
    WebhooksController,
    DashboardController,
    DmarcController,
    DmarcMailboxController,
    DnsblController,
    HealthController,
    PostmasterController,
    SndsController,
    HygieneController,
    FlowsController,
    BroadcastsController,
]
