"""Requests a careless or hostile client might send the sandbox: every route, odd ids, odd parameters, odd bodies.

Drawn from a seeded ``random.Random``, so a failing run can be replayed from its seed. The
routes come from the sandbox's own routing table, so a route added later is fuzzed too.
"""

from __future__ import annotations

import base64
import json
import random
import re
from dataclasses import dataclass, field

from tui_inbox.sandbox.app import route_modules

PATH_PARAM = re.compile(r"\{([a-z_]+)(?::[a-z]+)?\}")
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD")
SIGN_OUT = "/login/oauth2/token"

# The parameter names the sandbox's handlers read, and some they do not.
NAMES = (
    "scope", "filter", "filter[]", "filter_mode", "include", "include[]", "per_page", "page", "as_user_id",
    "auto_mark_as_read", "interleave_submissions", "include_all_conversation_ids", "recipients", "recipients[]",
    "subject", "body", "group_conversation", "bulk_message", "force_new", "mode", "context_code",
    "attachment_ids[]", "media_comment_id", "media_comment_type", "user_note", "included_messages[]", "remove[]",
    "conversation[workflow_state]", "conversation[starred]", "conversation[subscribed]", "conversation_ids[]",
    "conversation_ids", "event", "search", "context", "exclude[]", "type", "user_id", "skip_visibility_checks",
    "synthetic_contexts", "permissions[]", "name", "size", "content_type", "parent_folder_path", "parent_folder_id",
    "on_duplicate", "message", "title", "published", "is_announcement", "discussion_type", "delayed_post_at",
    "lock_at", "ids[]", "ids", "forwarded_message_ids[]", "enrollment_type", "enrollment_type[]", "enrollment_state",
    "sort", "order", "only_announcements", "context_codes[]", "start_date", "end_date", "active_only",
    "grant_type", "client_id", "client_secret", "code", "refresh_token", "redirect_uri", "response_type",
    "state", "unique_id", "password", "pseudonym_session[unique_id]", "pseudonym_session[password]",
    "purpose", "force_login", "replies", "specific_sections", "recipients[0]", "recipients[x]", "attachment",
    "parent_entry_id", "user_ids[]", "section_restricted", "include_inactive", "nonce", "x", "",
)
TEXT = (
    "", " ", "0", "1", "-1", "2", "3", "7", "true", "false", "null", "nil", "abc", "é✓👋", "1.5", "1e400", "9" * 40,
    "-" + "9" * 25, "NaN", "Infinity", "%", "%00", "\x00", "[]", "{}", "[1,2]", '{"a":1}', "course_1", "course_2",
    "course_999", "group_1", "section_1", "course_1_students", "course_1_teachers", "section_1_students",
    "account_1", "user_1", "user_x", "sis_user_id:x", "inbox", "unread", "starred", "sent", "archived",
    "read", "mark_as_read", "star", "destroy", "and", "or", "first", "last", "bookmark:", "bookmark:!!",
    "bookmark:" + base64.urlsafe_b64encode(b'["participants",[1,2,3]]').decode(),
    "bookmark:" + base64.urlsafe_b64encode(b'["contexts",{"a":[]}]').decode(),
    "bookmark:" + base64.urlsafe_b64encode(b"[[1],2]").decode(),
    "10000000000001", "21070000000000001", "<script>", "[@click=app.quit]", "a" * 5000, "../../etc/passwd",
    "2026-13-45T99:99:99Z", "2026-01-01T00:00:00Z", "media", "audio", "video", "image/png", "text/plain",
    "authorization_code", "refresh_token", "code", "urn:ietf:wg:oauth:2.0:oob", "http://127.0.0.1/cb",
)
IDS = ("1", "2", "3", "4", "0", "-1", "1.5", "abc", "10000000000001", "21070000000000001", "9" * 40, "%20", "é",
       "self", "sis_user_id:x", "1;2", "00001", " 1")


@dataclass
class FuzzRequest:
    method: str
    path: str
    token_role: str | None  # "teacher", "student", "admin", ... ; None: no token; "bad": a wrong one
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    data: list[tuple[str, str]] | None = None
    files: dict | None = None

    def describe(self) -> str:
        return f"{self.method} {self.path} as {self.token_role} query={self.query[:6]!r} " \
               f"ctype={self.headers.get('Content-Type')!r} body={(self.content or b'')[:120]!r} data={self.data!r:.200}"


def route_templates() -> list[tuple[str, tuple[str, ...]]]:
    """(path template, methods) of every HTTP route of the sandbox."""
    out = []
    for module in route_modules():
        for route in module.routes:
            methods = tuple(getattr(route, "methods", None) or ())
            if methods:
                out.append((route.path, methods))
    return out


class RequestFuzzer:
    def __init__(self, seed: int, conversation_ids: list[int], roles: list[str]) -> None:
        self.rng = random.Random(seed)
        self.templates = route_templates()
        self.conversation_ids = [str(i) for i in conversation_ids] or ["1"]
        self.roles = roles

    def text(self) -> str:
        rng = self.rng
        if rng.random() < 0.15:
            return "".join(rng.choice("ab1 ,[]{}%&=é\n\t-_.:/") for _ in range(rng.randint(0, 30)))
        return rng.choice(TEXT)

    def json_value(self, depth: int = 0):
        rng = self.rng
        kind = rng.random()
        if depth < 4 and kind < 0.25:
            return {rng.choice(NAMES).rstrip("[]") or "k": self.json_value(depth + 1) for _ in range(rng.randint(0, 4))}
        if depth < 4 and kind < 0.4:
            return [self.json_value(depth + 1) for _ in range(rng.randint(0, 4))]
        return rng.choice([None, True, False, 0, 1, -1, 2, 10**30, -(10**30), 1.5, 1e308, -0.0, self.text(),
                           self.text(), rng.choice(self.conversation_ids)])

    def path(self, template: str) -> str:
        def value(match: re.Match) -> str:
            name = match.group(1)
            if name == "id" and self.rng.random() < 0.5:
                return self.rng.choice(self.conversation_ids)
            if name == "path":
                return self.rng.choice(["", "a", "a/b", "../..", "%00", "é/ü"])
            if self.rng.random() < 0.6:  # mostly ids that exist, so the handlers run past their lookups
                return self.rng.choice(["1", "2", "3", "4", "5", "6", "self"])
            return self.rng.choice(IDS)

        return PATH_PARAM.sub(value, template)

    def pairs(self) -> list[tuple[str, str]]:
        return [(self.rng.choice(NAMES), self.text()) for _ in range(self.rng.randint(0, 6))]

    def body(self, request: FuzzRequest) -> None:
        rng = self.rng
        shape = rng.randrange(9)
        if shape == 0:
            return  # none
        if shape == 1:
            request.data = self.pairs()
        elif shape == 2:
            request.files = {rng.choice(["file", "attachment", "x"]): ("a.txt", b"hello", "text/plain")}
            request.data = self.pairs()
        elif shape in (3, 4):
            value = self.json_value() if shape == 3 else {name.rstrip("[]") or "k": self.json_value(1)
                                                          for name, _ in self.pairs()}
            request.content = json.dumps(value).encode()
            request.headers["Content-Type"] = "application/json"
        elif shape == 5:
            depth = rng.choice([99, 100, 101, 1000, 5000, 20000])
            request.content = ("[" * depth + "]" * depth).encode() if rng.random() < 0.5 else \
                ('{"a":' * depth + "1" + "}" * depth).encode()
            request.headers["Content-Type"] = "application/json"
        elif shape == 6:
            request.content = rng.choice([b"{", b"{not json", b"\xff\xfe\x00", b"[1,]", b"null", b'"text"', b"1e999",
                                          b'{"a":' * 3, b"\x00" * 10, b"   "])
            request.headers["Content-Type"] = rng.choice(["application/json", "application/json; charset=latin1"])
        elif shape == 7:
            request.content = rng.choice([b"a=1&&b", b"%%%", b"a[=1", b"=&=&", b"\xff=\xfe", b"recipients[]=1&body"])
            request.headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            request.content = rng.choice([b"--x\r\nbroken", b"garbage", b""])
            request.headers["Content-Type"] = rng.choice(["multipart/form-data", "multipart/form-data; boundary=x",
                                                          "text/plain", "application/xml"])

    def next(self) -> FuzzRequest:
        rng = self.rng
        template, methods = rng.choice(self.templates)
        method = rng.choice(methods) if rng.random() < 0.85 else rng.choice(METHODS)
        role = rng.choice(self.roles) if rng.random() < 0.85 else rng.choice([None, "bad"])
        if method == "DELETE" and template == SIGN_OUT:
            role = rng.choice([None, "bad"])  # with a real token it deletes it, ending the fuzz's session
        request = FuzzRequest(method, self.path(template), role, query=self.pairs())
        if rng.random() < 0.1:
            request.query.append(("as_user_id", rng.choice(IDS)))
        if method not in ("GET", "HEAD") or rng.random() < 0.1:
            self.body(request)
        if rng.random() < 0.05:
            request.path += ".json"
        return request
