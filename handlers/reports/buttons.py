"""The reports' buttons, each declared once (shared/buttons.py). The data on the wire is what
the handlers wrote by hand before: `xd:<dataset>`, `xu:<dataset>:<unit>`,
`xc:<dataset>:<unit>:<item>`, `xf:<dataset>:<unit>:<format>[:<item>]`, `xlog`, `sc`,
`scu:<unit>`, `scc:<unit>`."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.shared.buttons import ButtonKind


@dataclass(frozen=True)
class DatasetRef:
    dataset: str  # a key of storage.exports.registry


@dataclass(frozen=True)
class DatasetUnit:
    dataset: str
    unit_id: int


@dataclass(frozen=True)
class DatasetChoice:
    dataset: str
    unit_id: int
    choice: int  # the item's id (a survey)


@dataclass(frozen=True)
class DatasetFormat:
    dataset: str
    unit_id: int
    format: int  # the index in handlers.reports.exports.FORMATS, checked by the handler
    choice: int | None = None  # for a dataset about one item among several


@dataclass(frozen=True)
class UnitRef:
    unit_id: int


DATASET = ButtonKind("xd", DatasetRef)  # ⬇️ <what to export>
UNIT = ButtonKind("xu", DatasetUnit)  # the unit whose data is exported
CHOICE = ButtonKind("xc", DatasetChoice)  # the item (a survey)
FORMAT = ButtonKind("xf", DatasetFormat)  # 📗 Excel (XLSX) / 📄 CSV
LOG = ButtonKind("xlog")  # 🕘 Recent exports
SCORECARD = ButtonKind("sc")  # 🎯 Resolution 21 scorecard
SCORECARD_UNIT = ButtonKind("scu", UnitRef)  # the unit whose scorecard is shown, in words
SCORECARD_TABLE = ButtonKind("scc", UnitRef)  # 🔢 Compact table
