"""Survey answers exported: typed cells, member columns only for named surveys, and anonymous
surveys offered only once enough members answered."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.exports.run import produce
from bot.i18n import translator
from storage.db import transaction
from storage.exports.registry import dataset_spec
from storage.exports.writers import ExportFormat
from storage.models import Member, Unit
from storage.survey_questions import Kind, Question
from storage.surveys import NewSurvey, add_survey, get_survey, submit
from tests.factories import member, tree

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
QUESTIONS = [
    Question("Đồng chí đánh giá thế nào?", Kind.SINGLE, options=("Tốt", "=Khá")),
    Question("Chấm điểm", Kind.RATING),
    Question("Có tham gia không?", Kind.YESNO),
    Question("Ngày thuận tiện", Kind.DATE, required=False),
]


async def seed(session: AsyncSession, anonymous: bool, answering: int) -> tuple[Unit, int]:
    u = await tree(session)
    people: list[Member] = [
        await member(session, u["CB1"], f"Đảng viên {i}", f"09170000{i:02d}") for i in range(6)
    ]
    new = NewSurvey(u["CB1"].id, "Lấy ý kiến <quý IV>", QUESTIONS, anonymous, 5, NOW)
    survey = await add_survey(session, new)
    for i, who in enumerate(people[:answering]):
        answers = {"0": i % 2, "1": 4, "2": i == 0, "3": "2026-12-0" + str(i + 1)}
        await submit(session, survey, who.id, answers, NOW)
    return u["HU"], survey.id


async def sheet(
    sessions: async_sessionmaker[AsyncSession], unit: Unit, survey_id: int, tmp_path: Path
) -> list[list[object]] | None:
    spec = dataset_spec("surveys")
    assert spec is not None
    target = tmp_path / "answers.xlsx"
    produced = await produce(
        sessions, spec, unit.id, ExportFormat.XLSX, translator("vi"), target, choice=survey_id
    )
    if produced is None:
        return None
    book = openpyxl.load_workbook(io.BytesIO(target.read_bytes()))
    return [[cell.value for cell in row] for row in book.active.iter_rows()]


async def test_named_answers_with_members_and_typed_cells(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with transaction(sessions) as session:
        hu, survey_id = await seed(session, anonymous=False, answering=2)
    rows = await sheet(sessions, hu, survey_id, tmp_path)
    assert rows is not None
    assert rows[0] == ["Họ và tên", "Chi bộ", *[q.text for q in QUESTIONS]]
    assert rows[1][:5] == ["Đảng viên 0", "Chi bộ Khu phố 1", "Tốt", 4, "Có"]
    assert rows[2][2] == "'=Khá"  # an option a spreadsheet would run is escaped
    assert rows[1][5].date() == date(2026, 12, 1)  # a real date


async def test_anonymous_answers_only_from_the_threshold_and_without_members(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with transaction(sessions) as session:
        hu, survey_id = await seed(session, anonymous=True, answering=4)
    assert await sheet(sessions, hu, survey_id, tmp_path) is None  # 4 < 5: refused
    async with transaction(sessions) as session:
        survey = await get_survey(session, survey_id)
        assert survey is not None
        fifth = await member(session, survey.unit, "Đảng viên 9", "0917000099")
        await submit(session, survey, fifth.id, {"0": 0, "1": 2, "2": False}, NOW)
    rows = await sheet(sessions, hu, survey_id, tmp_path)
    assert rows is not None and len(rows) == 6
    assert rows[0] == [q.text for q in QUESTIONS]
    names = {str(cell) for row in rows for cell in row}
    assert not any(name.startswith("Đảng viên") for name in names)
