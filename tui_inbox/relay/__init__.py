"""The relay: Canvas Live Events for a whole school, verified and routed to each user.

Canvas Data Services POSTs every event of the school to one HTTPS endpoint, signed,
with no word of who may see it. The relay verifies each event, puts it durably into
NATS JetStream (shared by every relay instance), resolves its audience once, and
serves each connected user the live-event stream of live-stream.md with only what
that user may see.

Layers: it may use ``canvas/`` (to ask Canvas who may see an event) and never
imports ``ui/``, ``inbox/``, ``store/`` or ``sandbox/``.
"""
