"""Writes docs/survey-example.xlsx, the spreadsheet form of docs/survey-example.yaml.

Run `.venv/bin/python docs/make_survey_example_xlsx.py docs/survey-example.xlsx` after
changing it; tests/test_survey_rules.py checks that both examples read into the same survey.
"""

import sys
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

SETTINGS: list[tuple[Any, ...]] = [
    ("title", "Lấy ý kiến về chất lượng sinh hoạt chi bộ năm 2026"),
    ("anonymous", "yes"),
    ("min_responses", 5),
    ("audience", "all"),
    ("opens", "01/12/2026 08:00"),
    ("closes", "15/12/2026 17:00"),
]
HEADER = ("text", "type", "required", "options", "min", "max", "scale", "labels")
TOPICS = "\n".join(
    [
        "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
        "Quán triệt nghị quyết của cấp trên",
        "Kinh tế - xã hội của địa phương",
        "Công tác xây dựng Đảng",
    ]
)
QUESTIONS: list[tuple[Any, ...]] = [
    (
        "Đồng chí đánh giá chung về chất lượng sinh hoạt chi bộ thường kỳ?",
        "rating", "yes", None, None, None, 5, "Rất kém; Rất tốt",
    ),
    ("Nội dung sinh hoạt chuyên đề nào đồng chí thấy hữu ích nhất?", "single", "yes", TOPICS),
    (
        "Đồng chí muốn cải tiến những mặt nào? (chọn tối đa 2)",
        "multiple", "yes", "Thời gian; Địa điểm; Nội dung; Hình thức; Tài liệu", 1, 2,
    ),
    ("Đồng chí có tham gia đầy đủ các buổi sinh hoạt trong năm không?", "yesno", "yes"),
    ("Số buổi sinh hoạt đồng chí vắng mặt trong năm", "number", "no", None, 0, 12),
    ("Ngày đồng chí có thể tham gia buổi đối thoại với chi ủy", "date", "no"),
    ("Một từ để mô tả sinh hoạt chi bộ hiện nay", "text", "no"),
    ("Góp ý, đề xuất khác của đồng chí", "longtext", "no"),
]  # fmt: skip
WIDTHS = {"A": 60, "B": 12, "C": 10, "D": 50, "E": 6, "F": 6, "G": 6, "H": 24}


def build(path: str) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Khảo sát"
    for row in [*SETTINGS, (), HEADER, *QUESTIONS]:
        sheet.append(list(row))
    header_row = len(SETTINGS) + 2
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for cells in sheet.iter_rows(min_row=header_row + 1):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in WIDTHS.items():
        sheet.column_dimensions[column].width = width
    workbook.save(path)


if __name__ == "__main__":
    build(sys.argv[1])
