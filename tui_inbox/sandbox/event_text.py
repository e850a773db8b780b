"""``LiveEvents.truncate``: how Canvas shortens the text an event carries.

gems/live_events/lib/live_events.rb truncates with ActiveSupport's ``String#truncate(8192,
separator: " ")``: a text longer than 8,192 characters keeps what fits before the last
space at or before character 8,189 and gets ``...`` appended, so the result is at most
8,192 characters and ends between words; with no space there, it is cut at 8,189.
Canvas applies it to a discussion entry's text and a topic's title and body
(lib/canvas/live_events.rb ``get_discussion_entry_data``, ``get_discussion_topic_data``).
"""

from __future__ import annotations

MAX_LENGTH = 8192  # Setting "live_events_text_max_length"
OMISSION = "..."
SEPARATOR = " "


def truncate(text: str) -> str:
    if len(text) <= MAX_LENGTH:
        return text
    room = MAX_LENGTH - len(OMISSION)
    # Ruby's rindex(separator, room) finds a separator starting at or before index ``room``.
    stop = text.rfind(SEPARATOR, 0, room + len(SEPARATOR))
    return text[: stop if stop != -1 else room] + OMISSION
