"""Fake users and group chats: they produce updates and observe what the bot sent them.

Waiting semantics (``wait_for_message`` / ``wait_for_messages``)
-----------------------------------------------------------------
Every chat keeps a *cursor*: the index in ``chat.messages`` of the next message a wait returns.

* A user action (``send_text``, ``share_contact``, ``press``, ``press_data``) moves the cursor of
  the chat it happens in to the end of ``messages``, so the following waits only see what the bot
  sends *after* that action (i.e. the replies to it).
* ``wait_for_message()`` returns ``messages[cursor]`` as soon as it exists and advances the
  cursor by one; ``wait_for_messages(n)`` returns the next ``n`` and advances by ``n``.
  Consecutive waits therefore walk through the bot's messages one by one, never skipping any.
* Edits do not count as new messages; deleted messages stay in the list (flag ``deleted``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .models import SentMessage

if TYPE_CHECKING:
    from .server import FakeBotApi


class FakeChat:
    """A chat the bot can talk to (base for private chats via FakeUser, and FakeGroup)."""

    chat_type = "private"

    def __init__(self, fake: FakeBotApi, chat_id: int) -> None:
        self._fake = fake
        self.chat_id = chat_id
        self.messages: list[SentMessage] = []
        self.blocked = False  # only meaningful for private chats
        self._cursor = 0
        self._last_message_id = 0

    def chat_json(self) -> dict[str, Any]:
        raise NotImplementedError

    def next_message_id(self) -> int:
        # User and bot messages share one id sequence per chat, as in Telegram.
        self._last_message_id += 1
        return self._last_message_id

    @property
    def last_message(self) -> SentMessage | None:
        return self.messages[-1] if self.messages else None

    def mark_action(self) -> None:
        """Move the wait cursor past everything sent so far (see module docstring)."""
        self._cursor = len(self.messages)

    # A timeout argument (rather than asyncio.timeout) keeps test code short: noqa ASYNC109.
    async def wait_for_message(self, timeout: float = 5.0) -> SentMessage:  # noqa: ASYNC109
        return (await self.wait_for_messages(1, timeout))[0]

    async def wait_for_messages(
        self,
        n: int,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[SentMessage]:
        start = self._cursor
        try:
            await self._fake.wait_until(lambda: len(self.messages) >= start + n, timeout)
        except TimeoutError:
            raise TimeoutError(self._timeout_text(n, timeout)) from None
        self._cursor = start + n
        return self.messages[start : start + n]

    def _timeout_text(self, n: int, timeout: float) -> str:
        new = self.messages[self._cursor :]
        lines = [
            f"chat {self.chat_id}: expected {n} new message(s) within {timeout}s, got {len(new)}."
        ]
        if new:
            lines.append("New since cursor: " + "; ".join(map(str, new)))
        older = self.messages[max(0, self._cursor - 5) : self._cursor]
        if older:
            lines.append("Before cursor (already consumed): " + "; ".join(map(str, older)))
        if not self.messages:
            lines.append("The bot has sent nothing to this chat.")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.chat_id} messages={len(self.messages)}>"


class FakeGroup(FakeChat):
    def __init__(self, fake: FakeBotApi, chat_id: int, title: str) -> None:
        super().__init__(fake, chat_id)
        self.title = title
        # Telegram supergroup ids look like -100xxxxxxxxxx; other negative ids are basic groups.
        self.chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"

    def chat_json(self) -> dict[str, Any]:
        return {"id": self.chat_id, "type": self.chat_type, "title": self.title}


class FakeUser(FakeChat):
    """A Telegram user; their private chat with the bot has chat id == user id."""

    def __init__(
        self,
        fake: FakeBotApi,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> None:
        super().__init__(fake, user_id)
        self.user_id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code

    # --- JSON shapes ----------------------------------------------------------------------

    def user_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if (value := getattr(self, key)) is not None:
                data[key] = value
        return data

    def chat_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.chat_id, "type": "private"}
        data["first_name"] = self.first_name
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        return data

    def _message_json(self, chat: FakeChat | None, **content: Any) -> dict[str, Any]:
        target = chat or self
        target.mark_action()
        return {
            "message_id": target.next_message_id(),
            "from": self.user_json(),
            "chat": target.chat_json(),
            "date": int(time.time()),
            **content,
        }

    # --- actions --------------------------------------------------------------------------

    async def send_text(self, text: str, chat: FakeChat | None = None) -> dict[str, Any]:
        """Enqueue a text message update (a leading /command gets a bot_command entity)."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            length = len(command.encode("utf-16-le")) // 2  # entity offsets are UTF-16 units
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._fake.push_update({"message": self._message_json(chat, **content)})

    async def share_contact(
        self,
        phone_number: str,
        contact_user_id: int | None = None,
        first_name: str | None = None,
        chat: FakeChat | None = None,
    ) -> dict[str, Any]:
        """Enqueue a contact message; without contact_user_id it is the user's own contact."""
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or (self.first_name if contact_user_id is None else "Contact"),
            "user_id": self.user_id if contact_user_id is None else contact_user_id,
        }
        if contact_user_id is None and self.last_name is not None:
            contact["last_name"] = self.last_name
        return self._fake.push_update({"message": self._message_json(chat, contact=contact)})

    async def send_media(
        self,
        kind: str,
        caption: str | None = None,
        file_name: str = "file.bin",
        content: bytes = b"data",
        chat: FakeChat | None = None,
    ) -> dict[str, Any]:
        """Enqueue a photo or document message, its file stored on the fake (getFile works)."""
        stored = self._fake.store.add_file(file_name, content, None)
        ref = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        content_json: dict[str, Any] = (
            {"photo": [{**ref, "width": 320, "height": 320}]}
            if kind == "photo"
            else {"document": {**ref, "file_name": file_name}}
        )
        if caption is not None:
            content_json["caption"] = caption
        return self._fake.push_update({"message": self._message_json(chat, **content_json)})

    async def press(
        self, label: str, message: SentMessage | None = None, chat: FakeChat | None = None
    ) -> dict[str, Any]:
        """Press the inline button labelled exactly `label` (on `message` or the latest match);
        a label typed without its leading emoji ("Tôi đồng ý" for "✅ Tôi đồng ý") matches too."""
        target = message or self._find_message_with_button(label, chat or self)
        label = _full_label(label, target.button_data())
        data = target.button_data().get(label)
        if data is None:
            if label not in target.button_data():
                raise LookupError(f"no button {label!r} on {target}")
            raise LookupError(f"button {label!r} on {target} has no callback_data")
        return await self.press_data(data, message=target)

    async def press_data(
        self, data: str, message: SentMessage | None = None, chat: FakeChat | None = None
    ) -> dict[str, Any]:
        """Enqueue a callback_query with arbitrary data on `message` (default: last in chat)."""
        target_chat = chat or self
        target = message or target_chat.last_message
        if target is None:
            raise LookupError(f"the bot has sent nothing to chat {target_chat.chat_id}")
        self._fake.chat(target.chat_id).mark_action()
        query = {
            "id": self._fake.new_callback_query_id(),
            "from": self.user_json(),
            "message": self._fake.message_json(target),
            "chat_instance": str(target.chat_id),
            "data": data,
        }
        return self._fake.push_update({"callback_query": query})

    def _find_message_with_button(self, label: str, chat: FakeChat) -> SentMessage:
        for message in reversed(chat.messages):
            if not message.deleted and _full_label(label, message.button_data()) in (
                message.button_data()
            ):
                return message
        available = [
            f"#{m.message_id}: {m.buttons()}"
            for m in chat.messages[-10:]
            if m.buttons() and not m.deleted
        ]
        raise LookupError(
            f"no inline button labelled {label!r} in chat {chat.chat_id}; "
            f"available (latest messages): {available or 'none'}"
        )

    def block(self) -> None:
        """From now on sends/edits to this chat fail with 403 like a real blocked bot."""
        self.blocked = True

    def unblock(self) -> None:
        self.blocked = False


def _without_emoji(label: str) -> str:
    """The label's words: leading emoji, symbols and spaces dropped."""
    return label.lstrip(EMOJI_LEAD).strip()


EMOJI_LEAD = "".join(
    chr(c) for c in (*range(0x2190, 0x2BFF), *range(0x1F000, 0x1FAFF), 0xFE0F, 0x200D, 0x20)
)


def _full_label(label: str, labels: dict[str, str | None]) -> str:
    """`label` itself when a button has it, else the one button whose words it is."""
    if label in labels:
        return label
    wanted = _without_emoji(label).casefold()
    matches = [full for full in labels if _without_emoji(full).casefold() == wanted]
    return matches[0] if len(matches) == 1 else label
