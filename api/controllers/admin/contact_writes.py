"""Contacts, write side: upsert, import, tags, subscribe, unsubscribe, forget (console.md §4)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, post, put
from litestar.params import FromPath

from adapters import console_ops
from api.admin_auth import PUBLISH, SUPPRESSIONS, console_meta, console_of, needs
from api.admin_common import EXTERNAL_ID, bad_value, check_id, parse_iso
from api.body import decode_body
from api.calls import container_of, in_thread
from api.contact_views import contact_out, keys_for
from api.contracts.admin_contacts import (
    ContactAnswer,
    ContactImportBody,
    ContactPut,
    ForgetAnswer,
    ImportAnswer,
    ImportFailureOut,
    SubscribeAnswer,
    SubscribeBody,
    TagsAnswer,
    TagsBody,
    UnsubscribeAnswer,
    UnsubscribeBody,
)
from api.controllers.admin.contacts import ContactsReadController, contact_not_found
from domain.console.personal import problem
from domain.console.rules import DoiTemplateMissing

VIEWS = ["contacts", "audit"]
SUPPRESSION_VIEWS = ["suppressions", "audit"]


async def settle_all(
    request: Request[Any, Any, Any], positions: dict[str, int], views: list[str] | None = None
) -> None:
    """Read-your-writes across the logs a console command wrote to."""
    if positions:
        wanted = views or [*VIEWS, *SUPPRESSION_VIEWS, "contact_events"]
        await in_thread(container_of(request).wait_for, positions, wanted)


async def contact_answer(request: Request[Any, Any, Any], external_id: str) -> Any:
    tenant_id = console_of(request).tenant_id
    row = await in_thread(container_of(request).projections["contacts"].view.get, tenant_id, external_id)
    if row is None:
        raise contact_not_found(external_id)
    keys = await in_thread(keys_for, request, tenant_id, [row.contact_id])
    return contact_out(request, row, keys)


class ContactsController(ContactsReadController):
    """The read handlers are inherited: one controller per path, as Litestar needs."""

    @put(
        "/{external_id:str}",
        operation_id="ConsoleUpsertContact",
        summary="Create or change a contact",
        guards=[PUBLISH],
    )
    async def upsert(
        self, request: Request[Any, Any, Any], external_id: FromPath[str]
    ) -> Response[ContactAnswer]:
        check_id(external_id, EXTERNAL_ID, "externalId")
        body = await decode_body(request, ContactPut)
        changes = {k: v for k, v in msgspec.structs.asdict(body).items() if v is not msgspec.UNSET}
        broken = problem(changes)
        if broken is not None:
            raise bad_value(broken[0].removeprefix("$."), broken[1])
        done = await in_thread(
            container_of(request).console.upsert_contact,
            console_of(request).tenant_id,
            external_id,
            changes,
            console_meta(request),
        )
        await settle_all(request, {"console": done.position}, VIEWS)
        answer = ContactAnswer(contact=await contact_answer(request, external_id), created=done.created)
        return Response(answer, status_code=201 if done.created else 200)

    @post(
        "/import",
        operation_id="ConsoleImportContacts",
        summary="Upsert up to 10,000 contacts in one save",
        guards=[PUBLISH],
        status_code=200,
    )
    async def import_contacts(self, request: Request[Any, Any, Any]) -> ImportAnswer:
        body = await decode_body(request, ContactImportBody)
        subscribe = None
        if body.subscribe is not None:
            at = (
                parse_iso(body.subscribe.consent_timestamp, "subscribe.consentTimestamp")
                if body.subscribe.consent_timestamp
                else None
            )
            subscribe = {"source": body.subscribe.source, "consentTimestamp": at}
        result = await in_thread(
            container_of(request).console.import_contacts,
            console_of(request).tenant_id,
            list(body.contacts),
            subscribe,
            list(body.add_tags),
            console_meta(request),
        )
        await settle_all(request, {"console": result.position}, VIEWS)
        return ImportAnswer(
            import_id=result.import_id,
            received=result.received,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            subscribed=result.subscribed,
            failed=[ImportFailureOut(f.index, f.error, f.message, f.externalId) for f in result.failed],
        )

    @post(
        "/{external_id:str}/tags",
        operation_id="ConsoleTagContact",
        summary="Add and remove tags",
        guards=[PUBLISH],
        status_code=200,
    )
    async def edit_tags(self, request: Request[Any, Any, Any], external_id: FromPath[str]) -> TagsAnswer:
        check_id(external_id, EXTERNAL_ID, "externalId")
        body = await decode_body(request, TagsBody)
        tags, position = await in_thread(
            container_of(request).console.edit_tags,
            console_of(request).tenant_id,
            external_id,
            list(body.add),
            list(body.remove),
            console_meta(request),
        )
        await settle_all(request, {"console": position}, VIEWS)
        return TagsAnswer(ok=True, tags=tags)

    @post(
        "/{external_id:str}/subscribe",
        operation_id="ConsoleSubscribeContact",
        summary="Record consent",
        guards=[PUBLISH],
        status_code=200,
    )
    async def subscribe(self, request: Request[Any, Any, Any], external_id: FromPath[str]) -> SubscribeAnswer:
        check_id(external_id, EXTERNAL_ID, "externalId")
        body = await decode_body(request, SubscribeBody)
        tenant_id, container = console_of(request).tenant_id, container_of(request)
        await in_thread(container.console.live_contact, tenant_id, external_id)  # 404 before 409
        if body.double_opt_in:
            # the confirmation mail is template `doi-confirmation`; no template is published
            # until the templates context exists, so nothing changes (console.md §4)
            raise DoiTemplateMissing("template doi-confirmation is not published")
        consent = {k: v for k, v in (("ip", body.consent_ip), ("userAgent", body.consent_user_agent)) if v}
        at = parse_iso(body.consent_timestamp, "consentTimestamp") if body.consent_timestamp else None
        status, positions = await in_thread(
            console_ops.subscribe,
            container,
            tenant_id,
            external_id,
            {"source": body.source, "at": at, "consent": consent or None},
            console_meta(request),
        )
        await settle_all(request, positions.as_dict())
        return SubscribeAnswer(status=status)

    @post(
        "/{external_id:str}/unsubscribe",
        operation_id="ConsoleUnsubscribeContact",
        summary="Withdraw consent and suppress",
        guards=[needs("publish", "suppressions")],
        status_code=200,
    )
    async def unsubscribe(
        self, request: Request[Any, Any, Any], external_id: FromPath[str]
    ) -> UnsubscribeAnswer:
        check_id(external_id, EXTERNAL_ID, "externalId")
        body = await decode_body(request, UnsubscribeBody, empty_ok=True)
        status, created, positions = await in_thread(
            console_ops.unsubscribe,
            container_of(request),
            console_of(request).tenant_id,
            external_id,
            body.scope,
            body.reason,
            body.source,
            console_meta(request),
        )
        await settle_all(request, positions.as_dict())
        return UnsubscribeAnswer(status=status, suppression_created=created)

    @post(
        "/{external_id:str}/forget",
        operation_id="ConsoleForgetContact",
        summary="GDPR erasure: shred the contact's data key",
        guards=[SUPPRESSIONS],
        status_code=200,
    )
    async def forget(self, request: Request[Any, Any, Any], external_id: FromPath[str]) -> ForgetAnswer:
        check_id(external_id, EXTERNAL_ID, "externalId")
        done = await in_thread(
            console_ops.forget,
            container_of(request),
            console_of(request).tenant_id,
            external_id,
            console_meta(request),
        )
        await settle_all(request, done["positions"].as_dict())
        return ForgetAnswer(
            ok=True,
            contact_id=done["contact_id"],
            already_forgotten=done["already"],
            suppressions_added=done["added"],
            runs_exited=done.get("runs_exited", 0),
            sends_cancelled=0,
        )
