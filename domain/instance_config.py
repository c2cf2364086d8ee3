"""The instance configuration (proxy.md §14): one shared, event-sourced document."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

MIB = 1024 * 1024
PosInt = Annotated[int, Meta(ge=1)]
NonNegInt = Annotated[int, Meta(ge=0)]


class _Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pass


class RetryConfig(_Strict):
    max_retries: Annotated[int, Meta(ge=0, le=100)] = 5
    delays_seconds: Annotated[list[Annotated[float, Meta(ge=0)]], Meta(min_length=1)] = msgspec.field(
        default_factory=lambda: [60.0, 300.0, 900.0, 3600.0, 7200.0]
    )
    jitter: Annotated[float, Meta(ge=0, le=1)] = 0.1


class DispatchConfig(_Strict):
    poll_interval_seconds: Annotated[float, Meta(gt=0, le=60)] = 0.5
    lease_seconds: Annotated[int, Meta(ge=35, le=86400)] = 300
    max_concurrent_sends: Annotated[int, Meta(ge=1, le=1000)] = 10


class ReportingConfig(_Strict):
    batch_size: Annotated[int, Meta(ge=1, le=5000)] = 500
    timeout_seconds: Annotated[float, Meta(gt=0, le=600)] = 30.0
    heartbeat_interval_seconds: Annotated[int, Meta(ge=1)] = 300
    retry_cap_seconds: Annotated[int, Meta(ge=1)] = 300
    retention_seconds: NonNegInt = 604800


class AttachmentsConfig(_Strict):
    fetch_timeout_seconds: Annotated[float, Meta(gt=0, le=600)] = 30.0
    max_concurrent_fetches: Annotated[int, Meta(ge=1, le=100)] = 3
    max_bytes: PosInt = 25 * MIB
    filesystem_roots: dict[str, str] = msgspec.field(default_factory=dict)
    http_url_allow_private: bool = False
    cache_mb: NonNegInt = 256


class SmtpConfig(_Strict):
    pool_size_per_key: Annotated[int, Meta(ge=1, le=100)] = 5


class BounceConfig(_Strict):
    enabled: bool = False
    imap_host: str | None = None
    imap_port: Annotated[int, Meta(ge=1, le=65535)] = 993
    imap_user: str | None = None
    imap_password: str | None = None  # ``enc:v1:`` ciphertext
    imap_folder: str = "INBOX"
    imap_ssl: bool = True
    poll_interval: Annotated[int, Meta(ge=10)] = 60
    return_path: str | None = None


class InstanceConfig(_Strict):
    name: str = "ledgermail"
    public_base_url: str | None = None
    message_id_domain: str | None = None
    helo_name: str | None = None
    default_priority: Annotated[int, Meta(ge=0, le=3)] = 2
    max_messages_per_call: Annotated[int, Meta(ge=1, le=100000)] = 1000
    max_recipients_per_message: Annotated[int, Meta(ge=1, le=10000)] = 100
    max_body_bytes: PosInt = 10 * MIB
    max_request_bytes: PosInt = 50 * MIB
    metrics_require_token: bool = False
    retry: RetryConfig = msgspec.field(default_factory=RetryConfig)
    dispatch: DispatchConfig = DispatchConfig()
    reporting: ReportingConfig = ReportingConfig()
    attachments: AttachmentsConfig = msgspec.field(default_factory=AttachmentsConfig)
    smtp: SmtpConfig = SmtpConfig()
    bounce: BounceConfig = BounceConfig()
