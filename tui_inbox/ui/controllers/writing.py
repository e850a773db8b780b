"""Writing keys: compose, reply, reply all, forward, add people, reply in a discussion, and the
sent message's outcome (with the key that opens where it went). The composer does the rest."""

from __future__ import annotations

from ...inbox.compose import Draft, RecipientRef
from ...inbox.formatting import display_name
from ...inbox.replying import everyone_else
from ...inbox.session import Outcome
from ...inbox.text import one_line
from ...inbox.working_order import WorkingOrder
from ..keys import display_key
from .base import Controller


class Writing(Controller):
    def __init__(self, host, screen) -> None:
        super().__init__(host, screen)
        self.working_order = WorkingOrder()  # where n goes on from after an answer
        self.landing_account: str | None = None  # the account of the last message sent (open_sent)

    def shown_keys(self) -> list:
        """The list's rows as (account, conversation id), in their order."""
        lst = self.screen.list
        return [lst.key(index) for index in range(len(lst.rows))]

    def open_composer(self, draft: Draft, account: str | None = None) -> None:
        """The composer on ``draft``, writing from ``account`` (the one in focus if not said)."""
        from ..screens.compose import ComposeScreen

        account = account or self.screen.aim.focus_account()
        session = self.host.accounts.session(account)
        if draft.key in session.sending:  # opening it now could send the same text twice
            self.status.show_message("That message is still being sent: its outcome follows here.")
            return
        saved = session.load_draft(draft.key)
        if saved is not None:
            draft = saved
        else:
            session.inbox_settings.sign(draft)  # the signature, as Canvas's composer adds it

        def closed(outcome: Outcome | None) -> None:
            self.screen.paint_drafts()  # kept, sent or discarded: Drafts and its count follow
            if outcome is not None and outcome.ok:
                if outcome.conversation_id is not None:
                    self.landing_account = account
                self.say_sent(outcome, account)

        self.host.push_screen(ComposeScreen(session, draft, account=account if self.screen.aim.several else None), closed)

    def say_sent(self, outcome: Outcome, account: str | None = None) -> None:
        """A send's outcome on the status bar, with the key that opens where the message went."""
        if not outcome.ok:
            self.status.show_error(self.screen.aim.at(account, outcome.message) if account else outcome.message)
            return
        line = self.screen.aim.at(account, outcome.message) if account else outcome.message
        if outcome.conversation_id is not None:
            line += f" ({display_key(self.host.current_keys()['open_sent'].split(',')[0])} opens it)"
        self.status.show_message(line)

    def open_sent(self) -> None:
        accounts = self.host.accounts
        landed = [name for name in ([self.landing_account] if self.landing_account else []) + accounts.names
                  if accounts.session(name).last_landing is not None]
        if not landed:
            self.status.show_message("No message sent yet in this session.")
            return
        key = (landed[0], accounts.session(landed[0]).last_landing)
        position = self.host.merged.position(key)
        if position is not None:
            self.screen.list.cursor = position
        self.screen.run_action_worker("opening", self.screen.aim.open_conversation(key))

    def compose(self) -> None:
        """A new message: from the one account, or, with several, the one the user chooses (the
        list starts on the account whose course filters the list, else the row's under the cursor)."""
        accounts = self.host.accounts
        default = self.screen.aim.filter_account or self.screen.aim.focus_account()

        def write_from(account: str | None) -> None:
            if account is None:
                return
            filter_code = accounts.session(account).filter_code
            course = filter_code if filter_code and filter_code.startswith("course_") else None
            self.open_composer(Draft(kind="new", context_code=course), account)

        if len(accounts) == 1:
            write_from(default)
            return
        from ..screens.choose_account import ChooseAccountScreen

        choices = [(m.name, self.where(m)) for m in accounts]
        self.host.push_screen(ChooseAccountScreen(choices, default), write_from)

    @staticmethod
    def where(member) -> str:
        """An account in the chooser: its Canvas host, and who is signed in there."""
        from ...inbox.text import one_line as text

        me = member.session.me
        who = display_name(me.short_name, me.name) if me is not None else ""
        return f"{member.session.client.http.host}" + (f" · {text(who)}" if who else "")

    def answer(self, kind: str) -> None:
        """reply, reply_all, forward or add_people, to the conversation an action applies to."""
        key = self.screen.aim.target_key()
        account = key[0] if key is not None else None
        session = self.host.accounts.session(account) if account is not None else self.session
        row = session.row(key[1]) if key is not None else None
        if row is None:
            self.status.show_message("Choose a conversation first.")
            return
        subject = one_line(row.subject)
        draft = Draft(kind=kind, conversation_id=row.id, context_code=row.context_code)
        if kind == "forward":
            draft.subject = subject if subject.lower().startswith("fwd:") else f"Fwd: {subject}".strip()
            current = session.opened.of(row.id)  # forwarding needs its messages: it must be open
            draft.forward_message_ids = [m.id for m in (current.messages or [])] if current else []
            if current is None:
                self.status.show_message("Open the conversation first (Enter) to forward its messages.")
                return
        else:
            draft.subject = subject
            if kind == "add_people" and row.private:
                self.status.show_message("Canvas cannot add people to a private conversation; start a new one (c).")
                return
            if kind in ("reply", "reply_all"):
                # Sending it moves the conversation to the top: n should go on from here.
                self.working_order.answering(key, self.shown_keys())
                others = everyone_else(row, session.me_id)
                draft.to = [RecipientRef(str(p.id), display_name(p.name, p.full_name)) for p in others]
        self.open_composer(draft, account)

    def reply(self) -> None:
        if self.screen.in_activity:
            self.reply_in_discussion()
            return
        self.answer("reply")

    def reply_in_discussion(self) -> None:
        """``r`` in Activity: a reply to the discussion the thread shows (else to the item under the
        cursor), posted from that discussion's own account."""
        opened = self.screen.aim.open_discussion()
        tagged = self.screen.activity_list.current_tagged
        if opened is None and tagged is None:
            self.status.show_message("Choose an activity item first.")
            return
        account, current = opened if opened is not None else (tagged[0], None)
        item = tagged[1] if tagged is not None else None
        if current is not None:
            code, topic_id, entry_id, title = current.context_code, current.topic.id, current.focus_entry_id, current.topic.title
            entry = current.view.find(entry_id) if entry_id else None
            author = current.view.participants.get(entry.user_id or -1, "") if entry else (current.topic.author_name or "")
        else:
            code, topic_id, entry_id, title, author = (item.context_code, item.topic_id, item.entry_id,
                                                       item.topic_title, item.author)
        draft = Draft(kind="discussion_reply", context_code=code, topic_id=topic_id, entry_id=entry_id,
                      subject=one_line(title), to=[RecipientRef("", one_line(author) or "the topic")])
        self.open_composer(draft, account)
