"""Inbox Settings: the account's switches (REST) and the user's signature and out of office (GraphQL).

Canvas keeps these only in GraphQL (``myInboxSettings``, ``updateMyInboxSettings``) and its
web Inbox and mobile apps read the root account's switches from
``GET /api/v1/settings/environment`` first: where the school turned a feature off, they show
nothing of it. The queries are the ones canvas-ios and canvas-android send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import ServerError, ValidationError
from .http import CanvasHTTP
from .parsing import as_bool, as_datetime, as_dict, as_list, as_str

FIELDS = ("useSignature signature useOutOfOffice outOfOfficeFirstDate outOfOfficeLastDate "
          "outOfOfficeSubject outOfOfficeMessage")
QUERY = "query InboxSettings { myInboxSettings { %s } }" % FIELDS
MUTATION = ("mutation UpdateInboxSettings($input: UpdateMyInboxSettingsInput!) { updateMyInboxSettings(input: $input) "
            "{ myInboxSettings { %s } errors { attribute message } } }" % FIELDS)


@dataclass(frozen=True, slots=True)
class InboxSwitches:
    """What the school allows (the root account's settings); a missing switch is off."""

    signature_block: bool = False
    auto_response: bool = False
    signature_block_off_for_students: bool = False
    auto_response_off_for_students: bool = False

    @classmethod
    def from_json(cls, data: Any) -> "InboxSwitches":
        data = as_dict(data)
        return cls(as_bool(data.get("enable_inbox_signature_block")),
                   as_bool(data.get("enable_inbox_auto_response")),
                   as_bool(data.get("disable_inbox_signature_block_for_students")),
                   as_bool(data.get("disable_inbox_auto_response_for_students")))


@dataclass(frozen=True, slots=True)
class InboxSettings:
    """One user's signature and out-of-office reply at one Canvas (empty text is none)."""

    use_signature: bool = False
    signature: str = ""
    use_out_of_office: bool = False
    out_of_office_first: datetime | None = None
    out_of_office_last: datetime | None = None
    out_of_office_subject: str = ""
    out_of_office_message: str = ""

    @classmethod
    def from_json(cls, data: Any) -> "InboxSettings":
        data = as_dict(data)
        return cls(as_bool(data.get("useSignature")), as_str(data.get("signature")) or "",
                   as_bool(data.get("useOutOfOffice")), as_datetime(data.get("outOfOfficeFirstDate")),
                   as_datetime(data.get("outOfOfficeLastDate")), as_str(data.get("outOfOfficeSubject")) or "",
                   as_str(data.get("outOfOfficeMessage")) or "")

    def as_input(self) -> dict:
        """The mutation's input: Canvas replaces every field, so all of them go, empty ones as null."""
        def when(moment: datetime | None) -> str | None:
            return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")

        return {"useSignature": self.use_signature, "signature": self.signature or None,
                "useOutOfOffice": self.use_out_of_office, "outOfOfficeFirstDate": when(self.out_of_office_first),
                "outOfOfficeLastDate": when(self.out_of_office_last),
                "outOfOfficeSubject": self.out_of_office_subject or None,
                "outOfOfficeMessage": self.out_of_office_message or None}


async def get_switches(http: CanvasHTTP) -> InboxSwitches:
    return InboxSwitches.from_json(await http.json("GET", "/api/v1/settings/environment"))


async def _graphql(http: CanvasHTTP, query: str, variables: dict | None = None) -> dict:
    answer = as_dict(await http.json("POST", "/api/graphql", json={"query": query, "variables": variables or {}},
                                     retry=True))  # both operations may safely go twice: the save replaces all
    errors = as_list(answer.get("errors"))
    if errors:
        message = as_str(as_dict(errors[0]).get("message")) or "unknown error"
        raise ServerError(f"Canvas refused the Inbox Settings request: {message}")
    return as_dict(answer.get("data"))


async def get_inbox_settings(http: CanvasHTTP) -> InboxSettings:
    return InboxSettings.from_json((await _graphql(http, QUERY)).get("myInboxSettings"))


async def update_inbox_settings(http: CanvasHTTP, settings: InboxSettings) -> InboxSettings:
    payload = as_dict((await _graphql(http, MUTATION, {"input": settings.as_input()})).get("updateMyInboxSettings"))
    refused = [as_dict(e) for e in as_list(payload.get("errors"))]
    if refused:
        pairs = [(as_str(e.get("attribute")) or "", as_str(e.get("message")) or "") for e in refused]
        raise ValidationError(pairs[0][1] or "Canvas did not save the Inbox Settings", field=pairs[0][0] or None,
                              errors=pairs)
    return InboxSettings.from_json(payload.get("myInboxSettings"))
