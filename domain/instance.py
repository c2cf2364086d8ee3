"""The instance: one per deployment; holds the secret-key check and the admin token digest."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.instance_config import InstanceConfig
from domain.model import Aggregate

LEDGERMAIL_NAMESPACE = uuid5(NAMESPACE_URL, "https://ledgermail.invalid/")
INSTANCE_ID: UUID = uuid5(LEDGERMAIL_NAMESPACE, "instance")


class SecretKeyMismatch(RuntimeError):
    """The configured secret key is not the one this instance's data was written with."""


class Instance(Aggregate):
    TOPIC = "Instance"

    class Initialised(Aggregate.Created, frozen=True, kw_only=True):
        TOPIC: ClassVar[str] = "Instance.Initialised"
        key_check: str

        def apply(self, instance: Any) -> None:
            instance.key_check = self.key_check
            instance.admin_token = None
            instance.config = InstanceConfig()
            instance.bounce_reloads = 0

    class AdminTokenGenerated(Aggregate.Event, frozen=True, kw_only=True):
        TOPIC: ClassVar[str] = "Instance.AdminTokenGenerated"
        salt: str  # hex
        digest: str  # HMAC of salt + token under the instance token key

        def apply(self, instance: Any) -> None:
            instance.admin_token = (self.salt, self.digest)

    class Configured(Aggregate.Event, frozen=True, kw_only=True):
        """``config`` is the whole new configuration; ``changed`` the dotted keys changed."""

        TOPIC: ClassVar[str] = "Instance.Configured"
        config: InstanceConfig
        changed: list[str]

        def apply(self, instance: Any) -> None:
            instance.config = self.config

    class BounceReloadRequested(Aggregate.Event, frozen=True, kw_only=True):
        TOPIC: ClassVar[str] = "Instance.BounceReloadRequested"
        enabled: bool

        def apply(self, instance: Any) -> None:
            # the bounce poller restarts when this count moves (proxy.md §4.5)
            instance.bounce_reloads += 1

    key_check: str
    admin_token: tuple[str, str] | None
    config: InstanceConfig
    bounce_reloads: int  # reload-bounce requests so far

    @classmethod
    def initialise(cls, key_check: str) -> Instance:
        return cls._create(cls.Initialised, id=INSTANCE_ID, key_check=key_check)

    def check_key(self, key_check: str) -> None:
        if key_check != self.key_check:
            raise SecretKeyMismatch(
                "LEDGERMAIL_SECRET_KEY does not match the key this instance was created with; "
                "start with the original key (secrets and tokens cannot be read otherwise)"
            )

    def set_admin_token(self, salt: str, digest: str) -> None:
        self.trigger_event(self.AdminTokenGenerated, salt=salt, digest=digest)

    def configure(self, config: InstanceConfig, changed: list[str]) -> None:
        if config != self.config:
            self.trigger_event(self.Configured, config=config, changed=sorted(changed))

    def request_bounce_reload(self) -> None:
        self.trigger_event(self.BounceReloadRequested, enabled=self.config.bounce.enabled)
