"""``POST /api/graphql`` for the two Inbox Settings operations Canvas's clients use.

The types are canvas-lms's: app/graphql/types/inbox_settings_type.rb (InboxSettings, with
the timestamps of Interfaces::TimestampInterface), app/graphql/types/query_type.rb
``my_inbox_settings``, and app/graphql/mutations/update_my_inbox_settings.rb with its
input (``useSignature`` and ``useOutOfOffice`` required) and its payload's ``errors``
(Mutations::BaseMutation). graphql-core parses, validates and executes, so a malformed
query gets GraphQL's own error answer (HTTP 200, ``errors``) as graphql-ruby gives.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from graphql import build_schema, graphql
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .endpoint import Call, api
from .inbox_settings import InboxSettings

SCHEMA = build_schema('''
scalar DateTime

type InboxSettings {
  _id: ID!
  createdAt: DateTime
  updatedAt: DateTime
  outOfOfficeFirstDate: DateTime
  outOfOfficeLastDate: DateTime
  outOfOfficeMessage: String
  outOfOfficeSubject: String
  signature: String
  useOutOfOffice: Boolean!
  useSignature: Boolean!
  userId: ID!
}

type ValidationError {
  attribute: String
  message: String!
}

input UpdateMyInboxSettingsInput {
  clientMutationId: String
  outOfOfficeFirstDate: String
  outOfOfficeLastDate: String
  outOfOfficeMessage: String
  outOfOfficeSubject: String
  signature: String
  useOutOfOffice: Boolean!
  useSignature: Boolean!
}

type UpdateMyInboxSettingsPayload {
  clientMutationId: String
  errors: [ValidationError!]
  myInboxSettings: InboxSettings
}

type Query {
  myInboxSettings: InboxSettings
}

type Mutation {
  updateMyInboxSettings(input: UpdateMyInboxSettingsInput!): UpdateMyInboxSettingsPayload
}
''')


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _date(raw: str | None) -> datetime | None:
    """A datetime column's cast: a time it can read, else nothing (ActiveRecord casts junk to nil)."""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def settings_json(row: InboxSettings) -> dict:
    return {
        "_id": str(row.id if row.id is not None else row.user_id),
        "createdAt": _iso(row.created_at),
        "updatedAt": _iso(row.updated_at),
        "outOfOfficeFirstDate": _iso(_date(row.out_of_office_first_date)),
        "outOfOfficeLastDate": _iso(_date(row.out_of_office_last_date)),
        "outOfOfficeMessage": row.out_of_office_message,
        "outOfOfficeSubject": row.out_of_office_subject,
        "signature": row.signature,
        "useOutOfOffice": row.use_out_of_office,
        "useSignature": row.use_signature,
        "userId": str(row.user_id),
    }


def root_for(call: Call) -> dict:
    store = call.state.inbox_settings

    def my_inbox_settings(info) -> dict:
        return settings_json(store.of(call.user.id))

    def update_my_inbox_settings(info, input: dict) -> dict:
        row = store.save(
            call.user.id,
            use_signature=input["useSignature"],
            signature=input.get("signature"),
            use_out_of_office=input["useOutOfOffice"],
            out_of_office_first_date=input.get("outOfOfficeFirstDate"),
            out_of_office_last_date=input.get("outOfOfficeLastDate"),
            out_of_office_subject=input.get("outOfOfficeSubject"),
            out_of_office_message=input.get("outOfOfficeMessage"),
        )
        return {"myInboxSettings": settings_json(row), "errors": None,
                "clientMutationId": input.get("clientMutationId")}

    return {"myInboxSettings": my_inbox_settings, "updateMyInboxSettings": update_my_inbox_settings}


async def _request_fields(call: Call) -> tuple[str | None, object, str | None]:
    """``query``, ``variables`` and ``operationName`` from a JSON body or a form, as Rails'
    params give them to graphql_controller.rb (variables may come as a JSON string)."""
    body: dict = {}
    if call.request.headers.get("content-type", "").startswith("application/json"):
        try:
            loaded = json.loads(await call.request.body() or b"{}")
        except ValueError:
            loaded = {}
        body = loaded if isinstance(loaded, dict) else {}
    query = body.get("query", call.params.get("query"))
    variables = body.get("variables", call.params.get("variables"))
    if isinstance(variables, str):
        try:
            variables = json.loads(variables) if variables.strip() else None
        except ValueError:
            variables = None
    operation = body.get("operationName", call.params.get("operationName"))
    return query, variables, operation


@api
async def execute(call: Call) -> Response:
    query, variables, operation = await _request_fields(call)
    if not isinstance(query, str) or not query.strip():
        return JSONResponse({"errors": [{"message": "No query string was present"}]})
    if variables is not None and not isinstance(variables, dict):
        variables = None
    result = await graphql(SCHEMA, query, root_value=root_for(call), variable_values=variables,
                           operation_name=operation if isinstance(operation, str) else None)
    return JSONResponse(result.formatted)


routes = [Route("/api/graphql", execute, methods=["POST"])]
