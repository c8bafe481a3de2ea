"""Shared setup of the survey conversation tests: a branch, its members, a survey."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from handlers.surveys.messages import send_invitations
from storage import clock
from storage.models import Role, TelegramAccount, Unit
from storage.survey_questions import Kind, Question
from storage.surveys import NewSurvey, add_survey, get_survey
from tests.factories import member, tree
from tests.fakebot import FakeUser, SentMessage
from tests.harness import RunningBot

SON, AN, BINH, CUONG, DAO, EM, GIANG, DUNG = 701, 702, 703, 704, 705, 706, 707, 711

# One question of every kind: the order the answering tests follow.
EVERY_KIND = [
    Question("Đánh giá chung?", Kind.RATING, scale=5, labels=("Rất kém", "Rất tốt")),
    Question("Buổi nào thuận tiện?", Kind.SINGLE, options=("Sáng", "Chiều", "Tối")),
    Question("Cần cải tiến gì?", Kind.MULTIPLE, options=("Giờ", "Nơi", "Nội dung"), min=1, max=2),
    Question("Có dự đủ không?", Kind.YESNO),
    Question("Vắng mấy buổi?", Kind.NUMBER, required=False, min=0, max=12),
    Question("Ngày đối thoại?", Kind.DATE, required=False),
    Question("Một từ mô tả?", Kind.TEXT),
    Question("Góp ý khác?", Kind.LONGTEXT, required=False),
]


async def seed(bot: RunningBot) -> dict[str, int]:
    """CB1: secretary Sơn, members An, Bình, Cường (reads English), Đào, Em, Giang (all
    linked) and Hải (never linked); CB2: Dũng."""
    async with bot.db(settle=False) as session:
        units = await tree(session)
        cb1 = units["CB1"]
        ids = {"cb1": cb1.id, "cb2": units["CB2"].id}
        people: list[tuple[str, Unit, str, int | None, Role | None]] = [
            ("son", cb1, "Trần Sơn", SON, Role.SECRETARY),
            ("an", cb1, "Lê An", AN, None),
            ("binh", cb1, "Phạm Bình", BINH, None),
            ("cuong", cb1, "Hoàng Cường", CUONG, None),
            ("dao", cb1, "Vũ Đào", DAO, None),
            ("em", cb1, "Ngô Em", EM, None),
            ("giang", cb1, "Đỗ Giang", GIANG, None),
            ("hai", cb1, "Lý Hải", None, None),
            ("dung", units["CB2"], "Vũ Dũng", DUNG, None),
        ]
        for number, (key, branch, name, telegram_id, role) in enumerate(people):
            created = await member(
                session, branch, name, f"09140000{number:02d}", telegram_id=telegram_id, role=role
            )
            ids[key] = created.id
        english = await session.scalar(
            select(TelegramAccount).where(TelegramAccount.user_id == CUONG)
        )
        assert english is not None
        english.language = "en"
    for telegram_id in (SON, AN, BINH, DAO, EM, GIANG, DUNG):
        bot.fake.user(telegram_id, language_code="vi")
    bot.fake.user(CUONG, language_code="en")
    return ids


async def make_survey(
    bot: RunningBot, ids: dict[str, int], questions: list[Question], **options: Any
) -> int:
    """A survey to CB1 by Sơn, invitations enqueued; its id."""
    async with bot.db(settle=False) as session:
        new = NewSurvey(
            unit_id=ids["cb1"],
            title=options.pop("title", "Góp ý sinh hoạt chi bộ"),
            questions=questions,
            anonymous=options.pop("anonymous", False),
            min_responses=options.pop("min_responses", 5),
            opens_at=clock.now(),
            created_by_member_id=ids["son"],
            **options,
        )
        created = await add_survey(session, new)
        survey = await get_survey(session, created.id)
        assert survey is not None
        await send_invitations(session, survey, bot.settings, clock.now())
    assert bot.chibo is not None
    bot.chibo.sender.wake()
    return created.id


async def invitation(bot: RunningBot, user_id: int) -> SentMessage:
    """Waits for the survey invitation in the user's chat."""
    chat = bot.fake.user(user_id)

    def arrived() -> bool:
        return any(len(m.buttons()) == 1 and "sva:" in str(m.reply_markup) for m in chat.messages)

    await bot.fake.wait_until(arrived, 10)
    return next(m for m in chat.messages if "sva:" in str(m.reply_markup))


async def answer_press(bot: RunningBot, user: FakeUser, label: str) -> SentMessage:
    """Presses a button and returns the next message the bot sends."""
    await user.press(label)
    return await user.wait_for_message()


def last_alert(bot: RunningBot) -> str | None:
    return bot.fake.callback_answers[-1].text if bot.fake.callback_answers else None
