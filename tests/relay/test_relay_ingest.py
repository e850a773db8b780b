"""The relay's intake: Canvas Data Services POSTs signed events; only Canvas's are stored, each once.

Every test runs a real relay (its HTTP app in a thread) against the real nats-server of
the ``nats_server`` fixture, and a JWKS served over HTTP on loopback by ``KeyServer``.
What is checked is what Canvas sees (the status), what the broker holds (the stream),
what a delivery subject carries, and what /metrics says.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.relay_fixtures import (StaticRoute, Subscriber, conversation_event, metric, post, relay_settings,
                                  stored_count, wait_for)
from tests.relay_fixtures import relays  # noqa: F401  (a fixture)
from tests.relay_signing import KeyServer, SigningKey, handmade_jwt, claims_of, sign
from tui_inbox.relay.digest import event_digest
from tui_inbox.relay.subjects import user_subject




@pytest.fixture(scope="module")
def current_key():
    return SigningKey("2026-11")


@pytest.fixture(scope="module")
def next_key():
    return SigningKey("2026-12")


@pytest.fixture(scope="module")
def stranger():
    return SigningKey("stranger")


@pytest.fixture
def keys(current_key):
    with KeyServer([current_key]) as server:
        yield server


async def test_a_signed_event_is_stored_once_and_reaches_the_routes_subject_with_its_digest(
        nats_server, keys, current_key, relays):
    relay = relays(relay_settings(nats_server.url, keys.url), StaticRoute(user_subject(1)))
    subscriber = await Subscriber().start(nats_server.url, user_subject(1), user_subject(2))
    event = conversation_event("11")

    answer = await post(relay.info.events_url, sign(event, current_key))

    assert answer.status_code == 202, answer.text
    assert answer.json() == {"status": "stored", "digest": event_digest(event)}
    await wait_for(lambda: subscriber.received)
    # Exactly metadata and body, no JWT claims, and the event's id: its sequence in the ingest stream.
    assert subscriber.received == [({"id": "1", **event}, event_digest(event))]
    assert list(subscriber.received[0][0]) == ["id", "metadata", "body"]
    assert await stored_count(nats_server.url) == 1
    assert metric(relay.base_url, "relay_events_received_total") == 1
    await wait_for(lambda: metric(relay.base_url, "relay_events_routed_total") == 1)
    await subscriber.close()


async def test_a_retry_signed_again_is_stored_once_answered_200_and_counted_as_a_duplicate(
        nats_server, keys, current_key, relays):
    relay = relays(relay_settings(nats_server.url, keys.url), StaticRoute(user_subject(1)))
    subscriber = await Subscriber().start(nats_server.url, user_subject(1))
    event = conversation_event("11")
    first = sign(event, current_key, jti="try-1")
    retry = sign(event, current_key, jti="try-2", exp_in=600)  # Canvas signs each try anew
    assert first != retry

    answers = [await post(relay.info.events_url, first), await post(relay.info.events_url, retry)]

    assert [a.status_code for a in answers] == [202, 200]
    assert answers[1].json()["status"] == "duplicate"
    assert await stored_count(nats_server.url) == 1
    assert metric(relay.base_url, "relay_events_duplicates_total") == 1
    # One more event, then the subscriber has seen everything routed before it: 11 came once.
    assert (await post(relay.info.events_url, sign(conversation_event("12"), current_key))).status_code == 202
    await wait_for(lambda: "12" in subscriber.names())
    assert subscriber.names() == ["11", "12"]
    await subscriber.close()


async def test_the_jwt_as_a_json_string_in_quotes_is_accepted(nats_server, keys, current_key, relays):
    relay = relays(relay_settings(nats_server.url, keys.url))
    quoted = json.dumps(sign(conversation_event(), current_key))

    answer = await post(relay.info.events_url, quoted, headers={"Content-Type": "application/json"})

    assert answer.status_code == 202, answer.text
    assert await stored_count(nats_server.url) == 1


def forged_bodies(current_key: SigningKey, stranger: SigningKey) -> dict[str, tuple[bytes | str, int, str]]:
    event = conversation_event()
    header = {"typ": "JWT", "kid": current_key.kid}
    good = sign(event, current_key)
    head, payload, signature = good.split(".")
    return {
        "signed by another key under the trusted kid": (sign(event, stranger, kid=current_key.kid), 401, "signature"),
        "alg none": (handmade_jwt({**header, "alg": "none"}, claims_of(event)), 401, "algorithm"),
        "HS256 keyed with the public key's PEM": (
            handmade_jwt({**header, "alg": "HS256"}, claims_of(event), hmac_key=current_key.public_pem()),
            401, "algorithm"),
        "expired": (sign(event, current_key, exp_in=-3600), 401, "expired"),
        "without exp": (jwt_without_exp(event, current_key), 401, "claims"),
        "another issuer": (sign(event, current_key, iss="https://evil.example"), 401, "issuer"),
        "unknown kid": (sign(event, stranger), 401, "unknown_kid"),
        "payload altered": (f"{head}.{handmade_jwt({}, {**claims_of(event), 'x': 1}).split('.')[1]}.{signature}",
                            401, "signature"),
        "truncated": (good[: len(good) // 2], 400, "malformed"),
        "garbage": (b"\x00\xffnot a jwt at all", 400, "malformed"),
        "empty": (b"", 400, "malformed"),
        "a quoted number": (b"42", 400, "malformed"),
        "signed claims without metadata": (sign({"body": {}}, current_key), 400, "shape"),
        "unsigned JSON": (json.dumps(event), 401, "unsigned"),
        "10 MB": (b"a" * 10_000_000, 413, "too_large"),
    }


def jwt_without_exp(event: dict, key: SigningKey) -> str:
    import jwt

    claims = claims_of(event)
    del claims["exp"]
    return jwt.encode(claims, key.private, algorithm="RS256", headers={"kid": key.kid})


FORGED_CASES = ["signed by another key under the trusted kid", "alg none", "HS256 keyed with the public key's PEM",
                "expired", "without exp", "another issuer", "unknown kid", "payload altered", "truncated", "garbage",
                "empty", "a quoted number", "signed claims without metadata", "unsigned JSON", "10 MB"]


@pytest.mark.parametrize("case", FORGED_CASES)
async def test_a_forged_or_malformed_body_is_refused_counted_by_reason_and_nothing_is_stored(
        case, nats_server, keys, current_key, stranger, relays):
    body, status, reason = forged_bodies(current_key, stranger)[case]
    relay = relays(relay_settings(nats_server.url, keys.url), StaticRoute(user_subject(1)))

    answer = await post(relay.info.events_url, body)

    assert (answer.status_code, answer.json()["reason"]) == (status, reason), answer.text
    assert "\n" not in answer.json()["error"]
    assert metric(relay.base_url, "relay_events_rejected_total", reason=reason) == 1
    assert await stored_count(nats_server.url) == 0


async def test_a_10_mb_body_streamed_without_a_length_is_cut_off_with_413(nats_server, keys, relays):
    relay = relays(relay_settings(nats_server.url, keys.url))

    async def chunks():
        for _ in range(160):
            yield b"a" * 65536

    answer = await post(relay.info.events_url, chunks())

    assert answer.status_code == 413
    assert metric(relay.base_url, "relay_events_rejected_total", reason="too_large") == 1


async def test_unsigned_events_only_with_allow_unsigned(nats_server, keys, relays):
    strict = relays(relay_settings(nats_server.url, keys.url))
    lenient = relays(relay_settings(nats_server.url, keys.url, allow_unsigned=True))
    plain = json.dumps(conversation_event())

    refused = await post(strict.info.events_url, plain)
    accepted = await post(lenient.info.events_url, plain)
    broken = await post(lenient.info.events_url, '{"metadata": {"event_name": "x"}, "body": ')

    assert (refused.status_code, accepted.status_code, broken.status_code) == (401, 202, 400)
    assert await stored_count(nats_server.url) == 1


async def test_a_key_rotated_in_is_accepted_after_one_refetch(nats_server, keys, current_key, next_key, relays):
    relay = relays(relay_settings(nats_server.url, keys.url, jwks_refetch_seconds=0.5))
    assert (await post(relay.info.events_url, sign(conversation_event("1"), current_key))).status_code == 202
    assert keys.fetches == 1

    keys.keys = [current_key, next_key]  # the next month's key goes live
    rotated = sign(conversation_event("2"), next_key)

    async def accepted() -> bool:
        # Canvas retries a refused event; the relay refetches at most every 0.5 s.
        return (await post(relay.info.events_url, rotated)).status_code == 202

    await wait_for(accepted)
    assert keys.fetches == 2
    assert await stored_count(nats_server.url) == 2


async def test_a_flood_of_made_up_kids_does_not_become_a_flood_of_jwks_fetches(
        nats_server, keys, current_key, stranger, relays):
    import asyncio

    relay = relays(relay_settings(nats_server.url, keys.url, jwks_refetch_seconds=3600))
    assert (await post(relay.info.events_url, sign(conversation_event(), current_key))).status_code == 202
    forged = [sign(conversation_event(), stranger, kid=f"k{i}") for i in range(40)]

    async with httpx.AsyncClient(timeout=10) as client:
        answers = await asyncio.gather(*(client.post(relay.info.events_url, content=body) for body in forged))

    assert {a.status_code for a in answers} == {401}
    assert keys.fetches == 1
    assert metric(relay.base_url, "relay_events_rejected_total", reason="unknown_kid") == 40


async def test_a_failed_jwks_fetch_keeps_the_keys_it_had(nats_server, keys, current_key, stranger, relays):
    relay = relays(relay_settings(nats_server.url, keys.url, jwks_refetch_seconds=0))
    assert (await post(relay.info.events_url, sign(conversation_event("1"), current_key))).status_code == 202
    keys.fail = True

    unknown = await post(relay.info.events_url, sign(conversation_event("2"), stranger))
    known = await post(relay.info.events_url, sign(conversation_event("3"), current_key))

    assert (unknown.status_code, known.status_code) == (401, 202)
    assert keys.fetches == 2  # the unknown kid did try, and failed


async def test_healthz_and_metrics_answer(nats_server, keys, relays):
    relay = relays(relay_settings(nats_server.url, keys.url))
    async with httpx.AsyncClient(base_url=relay.base_url) as client:
        health = await client.get("/healthz")
        page = await client.get("/metrics")
    assert (health.status_code, health.json()["broker"]) == (200, "connected")
    assert page.headers["content-type"].startswith("text/plain")
    for name in ("relay_events_received_total", "relay_events_rejected", "relay_events_duplicates_total",
                 "relay_events_routed_total", "relay_events_delivered_total", "relay_frames_dropped_total",
                 "relay_connections", "relay_broker_lag"):
        assert name in page.text


async def test_each_answer_is_one_json_log_line_without_the_events_text_or_a_token(
        nats_server, keys, current_key, relays, caplog):
    import logging

    from tui_inbox.relay.logs import JsonLineFormatter

    caplog.set_level(logging.INFO, logger="tui_inbox.relay")
    relay = relays(relay_settings(nats_server.url, keys.url), StaticRoute(user_subject(1)))
    entry = {"metadata": {"event_name": "discussion_entry_created", "user_id": "10000000000002"},
             "body": {"discussion_entry_id": "5", "discussion_topic_id": "3", "text": "my private answer"}}
    answers = [await post(relay.info.events_url, sign(entry, current_key)),
               await post(relay.info.events_url, sign(entry, current_key, exp_in=-60)),
               await post(relay.info.events_url, b"my private answer")]
    assert [a.status_code for a in answers] == [202, 401, 400]

    lines = [json.loads(JsonLineFormatter().format(r)) for r in caplog.records if r.name == "tui_inbox.relay"]
    assert [(line["event"], line.get("reason")) for line in lines if line["event"].startswith("event_")
            and line["event"] != "event_routed"] == [
        ("event_stored", None), ("event_rejected", "expired"), ("event_rejected", "malformed")]
    text = json.dumps(lines)
    assert "my private answer" not in text and "admin-secret-token" not in text


def test_the_digest_is_of_metadata_and_body_only_in_one_canonical_spelling():
    import hashlib

    event = {"metadata": {"user_id": "1", "event_name": "discussion_entry_created"},
             "body": {"text": "Grüße, 先生", "discussion_entry_id": "5"}}
    spelled = ('{"body":{"discussion_entry_id":"5","text":"Grüße, 先生"},'
               '"metadata":{"event_name":"discussion_entry_created","user_id":"1"}}')
    assert event_digest(event) == hashlib.sha256(spelled.encode("utf-8")).hexdigest()
    # A retry is signed anew: other claims, other key order, same event.
    retry = {"exp": 2, "iss": "x", "body": dict(reversed(event["body"].items())), "metadata": event["metadata"]}
    assert event_digest(retry) == event_digest(event)
    assert event_digest({**event, "body": {**event["body"], "text": "changed"}}) != event_digest(event)


async def test_every_answer_is_timed_in_the_ingest_histogram(nats_server, keys, current_key, stranger, relays):
    # Operators (and benchmarks/relay.py) read the answer time Canvas sees from /metrics.
    relay = relays(relay_settings(nats_server.url, keys.url), StaticRoute(user_subject(1)))

    stored = await post(relay.info.events_url, sign(conversation_event("7"), current_key))
    forged = await post(relay.info.events_url, sign(conversation_event("8"), stranger))

    assert (stored.status_code, forged.status_code) == (202, 401)
    assert metric(relay.base_url, "relay_ingest_seconds_count") == 2
    assert 0 < metric(relay.base_url, "relay_ingest_seconds_sum") < 15
    assert metric(relay.base_url, "relay_ingest_seconds_bucket", le="15.0") == 2


async def test_how_late_data_services_delivers_is_in_the_event_age_histogram(nats_server, keys, current_key, relays):
    # A backlog upstream (Canvas's queue, its retries) shows here, not in the answer time or the broker lag.
    from datetime import datetime, timedelta, timezone

    relay = relays(relay_settings(nats_server.url, keys.url), StaticRoute(user_subject(1)))
    late = conversation_event("21")
    late["metadata"]["event_time"] = (datetime.now(timezone.utc) - timedelta(minutes=12)).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")
    undated = conversation_event("22")
    del undated["metadata"]["event_time"]

    answers = [await post(relay.info.events_url, sign(event, current_key)) for event in (late, undated)]

    assert [a.status_code for a in answers] == [202, 202]  # an event without a time is still an event
    assert metric(relay.base_url, "relay_event_age_seconds_count") == 1
    assert 12 * 60 <= metric(relay.base_url, "relay_event_age_seconds_sum") < 13 * 60
    assert metric(relay.base_url, "relay_event_age_seconds_bucket", le="300.0") == 0
    assert metric(relay.base_url, "relay_event_age_seconds_bucket", le="900.0") == 1


def test_an_event_time_that_cannot_be_read_gives_no_age_rather_than_a_wrong_one():
    from tui_inbox.relay.event_age import event_age_seconds

    now = 1_790_000_000.0
    for stamp in ("yesterday", 1_789_999_000, "2026-11-24T12:00:00", None):  # words, a number, no zone, nothing
        assert event_age_seconds({"metadata": {"event_time": stamp}}, now) is None
    assert event_age_seconds({"body": {}}, now) is None
    assert event_age_seconds({"metadata": {"event_time": "2026-09-21T14:13:10.000Z"}}, 1_790_000_000.0) == 10.0
    assert event_age_seconds({"metadata": {"event_time": "2030-01-01T00:00:00Z"}}, now) == 0.0  # clocks apart
