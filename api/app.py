"""The Litestar app factory: the only place the HTTP side is wired."""

from __future__ import annotations

from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin, ScalarRenderPlugin

from adapters.bootstrap import Container
from api.auth import Authenticator
from api.consistency import consistency_middleware
from api.controllers.accounts import AccountsController
from api.controllers.admin import ADMIN_CONTROLLERS
from api.controllers.admin_ui import ADMIN_UI_HANDLERS
from api.controllers.bounces import BouncesController
from api.controllers.command_log import CommandLogController
from api.controllers.commands import CommandsController
from api.controllers.downloads import DownloadsController
from api.controllers.history import HistoryController
from api.controllers.instance import InstanceController
from api.controllers.messages import MessagesController
from api.controllers.service import VERSION, ServiceController
from api.controllers.tenants import TenantsController
from api.controllers.testing import TestClockController
from api.controllers.tracking import TrackingController
from api.errors import EXCEPTION_HANDLERS
from api.middleware import request_id_middleware
from api.openapi_errors import document_errors
from api.recording import command_log_middleware

CONTROLLERS = [ServiceController, CommandsController, TenantsController, AccountsController,
               InstanceController, CommandLogController, MessagesController, DownloadsController,
               BouncesController, HistoryController, TrackingController,
               *ADMIN_CONTROLLERS, *ADMIN_UI_HANDLERS]


def create_app(container: Container) -> Litestar:
    handlers = list(CONTROLLERS)
    if container.fake_clock is not None:
        handlers.append(TestClockController)
    app = Litestar(
        route_handlers=handlers,
        exception_handlers=EXCEPTION_HANDLERS,
        # the token covers the command's own writes, not the command-log entry recorded after it
        middleware=[request_id_middleware, command_log_middleware, consistency_middleware],
        request_max_body_size=container.settings.max_request_bytes,
        openapi_config=OpenAPIConfig(
            title="ledgermail",
            version=VERSION,
            path="/schema",
            render_plugins=[RedocRenderPlugin(), ScalarRenderPlugin(path="/scalar")],
        ),
        debug=False,
    )
    app.state.container = container
    app.state.auth = Authenticator(container)
    document_errors(app)
    return app
