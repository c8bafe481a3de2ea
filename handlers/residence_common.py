"""Temporary, for one import: `handlers/plan_record.py` (being moved into `handlers/plans/`)
still reads `comment_text` from here. The residence feature lives in `handlers/residence/`, and
its words other features show in `handlers/shared/residence_words.py`: point that import there
and delete this module."""

from handlers.shared.residence_words import comment_text as comment_text
