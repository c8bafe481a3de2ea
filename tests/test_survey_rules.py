"""Survey rules without the bot: reading survey files, typed answers, tallies, the chart, and
the storage of answers (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.exports.survey_chart import ChartQuestion, render_charts
from bot.scheduler import JobContext
from bot.settings import Settings
from handlers.surveys.jobs import run_close, run_open
from storage import clock
from storage.db import transaction
from storage.models import OutboxMessage, Role, SurveyParticipation, SurveyResponse
from storage.survey_file import FileProblem, read_survey_file
from storage.survey_questions import Kind, Problem, Question, choice_problem, parse_typed
from storage.survey_results import tally
from storage.survey_xlsx import read_survey_xlsx
from storage.surveys import (
    LEADERS,
    NewSurvey,
    add_survey,
    answer_columns,
    answer_rows,
    audience_counts,
    first_non_respondents,
    get_survey,
    submit,
)
from tests.factories import member, tree

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_the_documented_example_file_reads_into_a_survey_of_every_question_type() -> None:
    spec = read_survey_file((ROOT / "docs" / "survey-example.yaml").read_bytes(), TZ)
    assert not isinstance(spec, list), spec
    assert spec.anonymous is True and spec.min_responses == 5 and spec.audience_role is None
    assert {q.kind for q in spec.questions} == set(Kind)
    assert spec.closes_at == datetime(2026, 12, 15, 17, 0, tzinfo=TZ)
    multiple = next(q for q in spec.questions if q.kind == Kind.MULTIPLE)
    assert (multiple.min, multiple.max, len(multiple.options)) == (1, 2, 5)


BAD_FILE = """\
title: Góp ý
anonymous: maybe
questions:
  - text: Chọn một
    type: radio
  - text: Chọn nhiều
    type: multiple
    options: [Một]
    scale: 5
  - text: Điểm
    type: rating
    scale: 7
colour: red
"""


def test_a_bad_file_names_each_problem_with_its_line() -> None:
    problems = read_survey_file(BAD_FILE.encode(), TZ)
    assert isinstance(problems, list)
    found = {(p.line, p.code) for p in problems}
    assert found == {
        (2, "not_yes_no"),
        (5, "bad_type"),
        (8, "options_needed"),
        (9, "key_not_for_type"),
        (12, "bad_scale"),
        (13, "unknown_key"),
    }


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"title: [unclosed\nquestions: []\n", FileProblem(2, "not_yaml")),
        (b"\xff\xfe not utf-8", FileProblem(1, "not_utf8")),
        (b"- just\n- a list\n", FileProblem(1, "not_a_mapping")),
        (b"title: X\n", FileProblem(1, "missing_key", {"key": "questions"})),
        (b"title: X\nquestions: []\n", FileProblem(2, "no_questions")),
        (
            b"title: X\nopens: 02/12/2026\ncloses: 01/12/2026\nquestions:\n"
            b"  - {text: Q, type: yesno}\n",
            FileProblem(3, "closes_before_opens"),
        ),
    ],
)
def test_file_problems(content: bytes, expected: FileProblem) -> None:
    assert read_survey_file(content, TZ) == [expected]


def test_options_stay_text_even_when_yaml_would_read_booleans() -> None:
    content = "title: X\nquestions:\n  - {text: Q, type: single, options: [Yes, No, 10]}\n"
    spec = read_survey_file(content.encode(), TZ)
    assert not isinstance(spec, list)
    assert spec.questions[0].options == ("Yes", "No", "10")


NUMBER = Question("Bao nhiêu?", Kind.NUMBER, min=0, max=12)


@pytest.mark.parametrize(
    ("question", "text", "expected"),
    [
        (NUMBER, "3,5", 3.5),
        (NUMBER, " 12 ", 12),
        (NUMBER, "mười", Problem("not_a_number")),
        (NUMBER, "13", Problem("number_too_large", {"max": "12"})),
        (NUMBER, "-1", Problem("number_too_small", {"min": "0"})),
        (Question("Ngày?", Kind.DATE), "05/12/2026", "2026-12-05"),
        (Question("Ngày?", Kind.DATE), "31/02/2026", Problem("not_a_date")),
        (Question("Ý kiến", Kind.TEXT), "  Tốt  ", "Tốt"),
        (
            Question("Ý kiến", Kind.TEXT),
            "x" * 301,
            Problem("too_long", {"length": 301, "limit": 300}),
        ),
        (Question("Ý kiến", Kind.LONGTEXT), "   ", Problem("empty")),
        (Question("Có?", Kind.YESNO), "có", Problem("use_buttons")),
    ],
)
def test_typed_answers(question: Question, text: str, expected: object) -> None:
    assert parse_typed(question, text) == expected


@pytest.mark.parametrize(
    ("required", "low", "high", "chosen", "expected"),
    [
        (True, None, None, [], "choose_at_least"),
        (False, None, None, [], None),
        (True, 2, 3, [1], "choose_at_least"),
        (False, 2, 3, [], None),
        (True, 1, 2, [0, 1, 2], "choose_at_most"),
        (True, 1, 2, [0, 2], None),
    ],
)
def test_multiple_choice_limits(
    required: bool, low: int | None, high: int | None, chosen: list[int], expected: str | None
) -> None:
    question = Question("?", Kind.MULTIPLE, required, ("a", "b", "c"), low, high)
    problem = choice_problem(question, chosen)
    assert (problem.code if problem else None) == expected


def test_tally_counts_each_kind() -> None:
    questions = [
        Question("r", Kind.RATING, scale=5),
        Question("m", Kind.MULTIPLE, options=("a", "b", "c")),
        Question("y", Kind.YESNO),
        Question("t", Kind.TEXT, required=False),
    ]
    responses = [
        {"0": 5, "1": [0, 2], "2": True, "3": "tốt"},
        {"0": 4, "1": [2], "2": False},
        {"0": 5, "1": [0], "2": True},
    ]
    rating, multiple, yesno, text = tally(questions, responses)
    assert rating.counts == [("1", 0), ("2", 0), ("3", 0), ("4", 1), ("5", 2)]
    assert multiple.counts == [("a", 2), ("b", 0), ("c", 2)] and multiple.answered == 3
    assert yesno.counts == [("yes", 2), ("no", 1)]
    assert (text.texts, text.answered) == (["tốt"], 1)


def test_the_chart_is_a_png_per_page_of_questions() -> None:
    one = ChartQuestion("1. Đánh giá chất lượng sinh hoạt?", [("Rất tốt", 3), ("Tốt", 1)], 4)
    images = render_charts([one], "{count} ({percent}%)")
    assert len(images) == 1 and images[0].startswith(b"\x89PNG")
    many = [ChartQuestion(f"{i}. ?", [(str(n), n) for n in range(10)], 45) for i in range(20)]
    assert len(render_charts(many, "{count}")) > 1  # Telegram's size limit per photo


async def _survey_with_members(session: AsyncSession, anonymous: bool) -> tuple[int, list[int]]:
    units = await tree(session)
    people = [
        await member(session, units["CB1"], name, f"09130000{i:02d}", telegram_id=900 + i)
        for i, name in enumerate(["Lê An", "Phạm Bình", "Vũ Đào"])
    ]
    questions = [
        Question("Chọn", Kind.SINGLE, options=("Sáng", "Chiều")),
        Question("Nhiều", Kind.MULTIPLE, options=("A", "B", "C")),
        Question("Ý kiến", Kind.TEXT, required=False),
    ]
    new = NewSurvey(
        units["CB1"].id, "Góp ý", questions, anonymous, 5, clock.now(), None, None, None
    )
    survey = await add_survey(session, new)
    return survey.id, [p.id for p in people]


@pytest.mark.parametrize("anonymous", [True, False])
async def test_submitted_answers_rows_and_who_is_left(
    sessions: async_sessionmaker[AsyncSession], anonymous: bool
) -> None:
    async with transaction(sessions) as session:
        survey_id, (an, binh, _dao) = await _survey_with_members(session, anonymous)
        survey = await get_survey(session, survey_id)
        assert survey is not None
        now = clock.now()
        await submit(session, survey, an, {"0": 1, "1": [0, 2], "2": "Tốt"}, now)
        await submit(session, survey, binh, {"0": 0, "1": [1]}, now)
        left = [m.full_name for m in await first_non_respondents(session, survey, 60)]
        counts = await audience_counts(session, survey)
        rows = [row async for row in answer_rows(session, survey_id)]
        columns = answer_columns(survey)
    assert left == ["Vũ Đào"]
    assert (counts.members, counts.waiting) == (3, 1)
    texts = ["Chọn", "Nhiều", "Ý kiến"]
    if anonymous:
        assert columns == texts
        assert sorted(rows, key=str) == sorted(
            [("Chiều", "A; C", "Tốt"), ("Sáng", "B", None)], key=str
        )
    else:
        assert columns == ["member_name", "branch_name", *texts]
        assert rows == [
            ("Lê An", "Chi bộ Khu phố 1", "Chiều", "A; C", "Tốt"),
            ("Phạm Bình", "Chi bộ Khu phố 1", "Sáng", "B", None),
        ]


async def test_anonymous_answers_carry_nothing_that_links_them_to_the_member(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        survey_id, (an, binh, _dao) = await _survey_with_members(session, anonymous=True)
        survey = await get_survey(session, survey_id)
        assert survey is not None
        for member_id in (an, binh):
            await submit(session, survey, member_id, {"0": 0, "1": [1]}, clock.now())
    async with transaction(sessions) as session:
        responses = list(await session.scalars(select(SurveyResponse)))
        participations = int(
            await session.scalar(select(func.count()).select_from(SurveyParticipation)) or 0
        )
        columns = await session.run_sync(
            lambda s: [c["name"] for c in inspect(s.connection()).get_columns("survey_responses")]
        )
    assert participations == 2
    assert columns == ["id", "survey_id", "member_id", "answers"]  # no time, no Telegram id
    assert all(r.member_id is None for r in responses)
    # Random ids: neither sequential nor shared with participation rows.
    assert all(len(r.id) == 32 and not r.id.isdigit() for r in responses)


async def test_a_second_submission_is_refused_by_the_database(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as session:
            survey_id, (an, _binh, _dao) = await _survey_with_members(session, anonymous=True)
            survey = await get_survey(session, survey_id)
            assert survey is not None
            await submit(session, survey, an, {"0": 0, "1": [1]}, clock.now())
            await submit(session, survey, an, {"0": 1, "1": [0]}, clock.now())


async def test_the_closing_job_closes_and_tells_the_creator(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        units = await tree(session)
        son = await member(
            session, units["CB1"], "Trần Sơn", "0913999999", telegram_id=990, role=Role.SECRETARY
        )
        questions = [Question("Có?", Kind.YESNO)]
        now = clock.now()
        new = NewSurvey(
            units["CB1"].id, "Góp ý", questions, False, 5, now, now + timedelta(hours=1)
        )
        survey = await add_survey(session, new)
        survey.created_by_member_id = son.id
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        payload = {"survey_id": survey.id}
        later = now + timedelta(hours=1)
        await run_close(JobContext(session, settings, later, "survey_close", "k", payload))
    async with transaction(sessions) as session:
        closed = await get_survey(session, survey.id)
        message = await session.scalar(select(OutboxMessage))
    assert closed is not None and closed.closed_at is not None
    assert message is not None and message.chat_id == 990
    assert "Phiếu khảo sát “Góp ý” đã đóng: 0/1 đồng chí đã trả lời" in message.payload["text"]


async def test_a_committee_only_survey_invites_role_holders_when_its_opening_job_runs(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        units = await tree(session)
        cb1, cb2 = units["CB1"], units["CB2"]
        await member(session, cb1, "Trần Sơn", "0913000001", telegram_id=991, role=Role.SECRETARY)
        await member(session, cb1, "Lê An", "0913000002", telegram_id=992)
        await member(
            session, cb2, "Ngô Phương", "0913000003", telegram_id=993,
            role=Role.DEPUTY_SECRETARY, role_unit=units["HU"],
        )  # fmt: skip
        await member(session, units["CB9"], "Lý Thôn", "0913000004", telegram_id=994,
                     role=Role.SECRETARY)  # fmt: skip
        later = clock.now() + timedelta(days=1)
        new = NewSurvey(
            units["HU"].id, "Chi ủy", [Question("Có?", Kind.YESNO)], False, 5, later,
            audience_role=LEADERS,
        )  # fmt: skip
        survey = await add_survey(session, new)
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        payload = {"survey_id": survey.id}
        await run_open(JobContext(session, settings, later, "survey_open", "k", payload))
        await run_open(JobContext(session, settings, later, "survey_open", "k", payload))
    async with transaction(sessions) as session:
        chats = sorted(await session.scalars(select(OutboxMessage.chat_id)))
        opened = await get_survey(session, survey.id)
    assert chats == [991, 993]  # once each: a second run sends nothing
    assert opened is not None and opened.broadcast_id is not None


def test_the_spreadsheet_example_reads_into_the_same_survey_as_the_yaml_one() -> None:
    from_yaml = read_survey_file((ROOT / "docs" / "survey-example.yaml").read_bytes(), TZ)
    from_xlsx = read_survey_xlsx((ROOT / "docs" / "survey-example.xlsx").read_bytes(), TZ)
    assert not isinstance(from_xlsx, list), from_xlsx
    assert from_xlsx == from_yaml


def workbook_bytes(rows: list[tuple[object, ...]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_spreadsheet_problems_name_their_row() -> None:
    content = workbook_bytes(
        [
            ("title", "Góp ý"),
            ("anonymous", "có lẽ"),
            (),
            ("text", "type", "required", "options", "min", "max", "scale", "labels"),
            ("Chọn một", "single", "yes", "Chỉ một"),
            ("Điểm", "rating", None, None, None, None, 7),
            ("Ngày?", "date", "no", "a; b"),
        ]
    )
    problems = read_survey_xlsx(content, TZ)
    assert isinstance(problems, list)
    assert {(p.line, p.code) for p in problems} == {
        (2, "not_yes_no"),
        (5, "options_needed"),
        (6, "bad_scale"),
        (7, "key_not_for_type"),
    }
    assert read_survey_xlsx(b"PK\x03\x04 broken", TZ) == [FileProblem(1, "not_xlsx")]
