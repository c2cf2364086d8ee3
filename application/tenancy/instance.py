"""Instance commands: first start, the secret-key check, the admin token, configuration."""

from __future__ import annotations

import hmac
import secrets as pysecrets
from typing import Any

import msgspec
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.base import SYSTEM, CommandMeta, LedgerApplication
from application.ports import SecretBox
from application.tenancy.merge import deep_merge, seal
from domain.errors import InvalidValue
from domain.instance import INSTANCE_ID, Instance
from domain.instance_config import InstanceConfig


def generate_admin_token() -> str:
    return "lma_" + pysecrets.token_urlsafe(32)


class InstanceCommands(LedgerApplication):
    secret_box: SecretBox

    def get_instance(self) -> Instance | None:
        try:
            return self.repository.get(INSTANCE_ID)  # type: ignore[no-any-return]
        except AggregateNotFoundError:
            return None

    def initialise_instance(self) -> Instance:
        """Create the instance once; check the secret key on every later start."""
        instance = self.get_instance()
        if instance is None:
            with self.command(actor="system:init"):
                instance = Instance.initialise(self.secret_box.key_check())
                try:
                    self.record(instance)
                except IntegrityError:  # another process won the race
                    instance = self.get_instance()
                    assert instance is not None
        instance.check_key(self.secret_box.key_check())
        return instance

    def issue_admin_token(self, *, replace: bool, actor: str = "system:init") -> str | None:
        """Generate and store (as a digest) a new admin token; None if one exists already."""
        instance = self.initialise_instance()
        if instance.admin_token is not None and not replace:
            return None
        token = generate_admin_token()
        salt = pysecrets.token_bytes(16)
        with self.command(actor=actor):
            instance.set_admin_token(salt.hex(), self.secret_box.token_digest(salt, token))
            self.record(instance)
        return token

    def admin_token_matches(self, token: str) -> bool:
        instance = self.get_instance()
        if instance is None or instance.admin_token is None:
            return False
        salt, digest = instance.admin_token
        return hmac.compare_digest(digest, self.secret_box.token_digest(bytes.fromhex(salt), token))

    def configure_instance(self, changes: dict[str, Any],
                           meta: CommandMeta = SYSTEM) -> tuple[InstanceConfig, bool, int]:
        """Deep-merge ``changes``; return (config, bounce changed, position)."""
        instance = self.initialise_instance()
        current = instance.config
        merged = deep_merge(msgspec.to_builtins(current), changes)
        bounce = dict(merged["bounce"])
        bounce["imap_password"] = seal(changes.get("bounce", {}).get("imap_password", "***"),
                                       current.bounce.imap_password, self.secret_box)
        merged["bounce"] = bounce
        try:
            config = msgspec.convert(merged, InstanceConfig)
        except msgspec.ValidationError as exc:
            raise InvalidValue(str(exc)) from exc
        changed = sorted(_changed_keys(msgspec.to_builtins(current), msgspec.to_builtins(config)))
        with self.under(meta):
            instance.configure(config, changed)
            position = self.record(instance)
        return config, current.bounce != config.bounce, position

    def request_bounce_reload(self, meta: CommandMeta = SYSTEM) -> tuple[bool, int]:
        instance = self.initialise_instance()
        bounce = instance.config.bounce
        if bounce.enabled and not bounce.imap_host:
            raise InvalidValue("bounce is enabled but no imap_host is configured", field="bounce.imap_host")
        with self.under(meta):
            instance.request_bounce_reload()
            position = self.record(instance)
        return bounce.enabled, position

    def instance_config(self) -> InstanceConfig:
        instance = self.get_instance()
        return instance.config if instance is not None else InstanceConfig()


def _changed_keys(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            keys += _changed_keys(a, b, f"{prefix}{key}.")
        elif a != b:
            keys.append(f"{prefix}{key}")
    return keys
