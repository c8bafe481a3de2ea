"""Running the real bot against the fake Bot API server, with a real database file."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Chibo, build_application
from bot.settings import Settings
from storage import audit, inbox
from storage.db import create_engine, session_factory, transaction
from storage.models import AuditEntry, Member
from tests.fakebot import FakeBotApi, FakeUser, SentMessage

TOKEN = "123456:TEST-TOKEN-never-real"
# The outbox sender's retries and polls, shortened so delivery tests take seconds.
FAST_SENDER: dict[str, object] = {
    "outbox_backoff_seconds": 0.05,
    "outbox_poll_seconds": 0.2,
    # Not shorter: on a loaded machine (CI, three test workers on two cores) a plain answer
    # took over 0.5 s, the message was sent again, and a member got the notice twice.
    "outbox_send_timeout_seconds": 2.0,
}
# Messages a second the bot lets one chat get while the fake enforces no limits. Telegram's
# one a second made each step of a conversation test wait a second (measured: test_meetings
# took 111 s instead of 14 s); tests of the pacing turn the fake's limits on, and the bot
# then paces to them (RunningBot.pace_like_the_fake).
UNLIMITED_PER_CHAT = 1000


async def start_and_agree(
    fake: FakeBotApi, user_id: int, start: str = "/start"
) -> tuple[FakeUser, SentMessage]:
    """A Vietnamese-speaking user sends `start`, agrees to the privacy notice; and the reply."""
    user = fake.user(user_id, language_code="vi")
    await user.send_text(start)
    await user.wait_for_message()
    await user.press("✅ Tôi đồng ý")
    return user, await user.wait_for_message()


def bot_settings(fake: FakeBotApi, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "bot_token": TOKEN,
        "database_url": database_url,
        "telegram_api_base_url": fake.base_url,
        "telegram_api_file_url": fake.base_file_url,
        "poll_timeout_seconds": 2,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class RunningBot:
    """The bot polling the fake server in the test's event loop."""

    fake: FakeBotApi
    settings: Settings
    chibo: Chibo | None = None
    task: asyncio.Task[None] | None = None
    _engine_sessions: list[async_sessionmaker[AsyncSession]] = field(default_factory=list)
    _watching: bool = False

    async def start(self) -> None:
        self.chibo = build_application(self.settings)
        self.pace_like_the_fake()
        if not self._watching:
            self.fake.watch_limits(self.pace_like_the_fake)
            self._watching = True
        await self.chibo.start()
        self.task = asyncio.create_task(self.chibo.run_polling())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        if self.chibo is not None:
            await self.chibo.stop()
        self.task, self.chibo = None, None

    def pace_like_the_fake(self) -> None:
        """One chat's messages go as fast as the fake allows them (Telegram: one a second)."""
        if self.chibo is not None:
            per_chat = self.fake.per_chat_limit or UNLIMITED_PER_CHAT
            self.chibo.sender.limits.set_chat_rate(per_chat)
            if self.chibo.sender.pace is not None:  # PostgreSQL: the slots shared by instances
                self.chibo.sender.pace.set_chat_rate(per_chat)

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def settle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Waits until every update sent so far is handled and committed, and its replies
        have left."""

        async def handled() -> bool:
            if self.fake.pending_updates:
                return False
            async with self.db(settle=False) as session:
                return not await inbox.unfinished(session)

        await self.fake.wait_until(handled, timeout)

    @contextlib.asynccontextmanager
    async def db(self, settle: bool = True) -> AsyncIterator[AsyncSession]:
        """A transaction of the test's own, after the bot has handled what it was sent."""
        if settle:
            await self.settle()
        engine = create_engine(self.settings.database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                yield session
        finally:
            await engine.dispose()

    async def member(self, member_id: int) -> Member:
        async with self.db() as session:
            found = await session.scalar(select(Member).where(Member.id == member_id))
            assert found is not None
            return found

    async def audit(self, action: str) -> list[AuditEntry]:
        async with self.db() as session:
            return await audit.entries(session, action)
