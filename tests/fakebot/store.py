"""Chats, sent messages (indexed by (chat_id, message_id)) and uploaded files."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from .chats import FakeChat
from .models import SentMessage, bad_request


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_name: str | None
    content: bytes
    mime_type: str | None

    @property
    def file_path(self) -> str:
        return f"files/{self.file_unique_id}/{self.file_name or 'file'}"


class MessageStore:
    def __init__(self, bot_user: dict[str, Any]) -> None:
        self.bot_user = bot_user
        self.chats: dict[int, FakeChat] = {}
        self.sent: list[SentMessage] = []
        self.files: dict[str, StoredFile] = {}
        self._index: dict[tuple[int, int], SentMessage] = {}
        self._file_ids = itertools.count(1)

    # --- chats & messages -----------------------------------------------------------------

    def chat(self, chat_id: object) -> FakeChat:
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def add(self, chat: FakeChat, message: SentMessage) -> None:
        self.sent.append(message)
        chat.messages.append(message)
        self._index[(message.chat_id, message.message_id)] = message

    def find(self, chat_id: object, message_id: object) -> SentMessage | None:
        if not isinstance(chat_id, int) or not isinstance(message_id, int):
            return None
        message = self._index.get((chat_id, message_id))
        return None if message is None or message.deleted else message

    # --- files ----------------------------------------------------------------------------

    def add_file(self, file_name: str | None, content: bytes, mime_type: str | None) -> StoredFile:
        number = next(self._file_ids)
        stored = StoredFile(f"FAKEFILE{number:08d}", f"U{number}", file_name, content, mime_type)
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, path: str) -> StoredFile | None:
        parts = path.split("/")
        if len(parts) < 2 or not parts[1].startswith("U"):
            return None
        return self.files.get(f"FAKEFILE{int(parts[1][1:]):08d}")

    # --- JSON -----------------------------------------------------------------------------

    def message_json(self, message: SentMessage) -> dict[str, Any]:
        """The message as Telegram would return it now (after edits)."""
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self.bot_user,
            "chat": self.chats[message.chat_id].chat_json(),
            "date": message.date,
        }
        if message.edits:
            data["edit_date"] = message.date
        if message.kind == "text":
            data["text"] = message.text or ""
        else:
            if message.text is not None:
                data["caption"] = message.text
            data.update(self._media_json(message))
        markup = message.reply_markup
        if markup and "inline_keyboard" in markup:  # Telegram echoes inline keyboards only
            data["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        return data

    def _media_json(self, message: SentMessage) -> dict[str, Any]:
        stored = self.files.get(message.file_id or "")
        file_id = message.file_id or "UNKNOWN"
        base: dict[str, Any] = {
            "file_id": file_id,
            "file_unique_id": stored.file_unique_id if stored else file_id,
        }
        if stored is not None:
            base["file_size"] = len(stored.content)
        if message.kind == "photo":
            return {"photo": [{**base, "width": 320, "height": 320}]}
        if message.file_name is not None:
            base["file_name"] = message.file_name
        if stored is not None and stored.mime_type:
            base["mime_type"] = stored.mime_type
        return {"document": base}
