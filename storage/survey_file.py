"""Reading a survey file (YAML, see docs/surveys.md; spreadsheets in storage/survey_xlsx.py)
into a checked survey, or the list of what is wrong, each with its line number. Nothing is
stored here.

The YAML is composed into nodes (not loaded into Python values) so every problem can name
its line, and so `options: [Có, No]` stays text instead of YAML 1.1's booleans.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, time, tzinfo
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from storage.survey_questions import (
    MAX_OPTIONS,
    MAX_QUESTIONS,
    OPTION_LIMIT,
    QUESTION_LIMIT,
    RATING_SCALES,
    Kind,
    Question,
    parse_date,
)

MAX_FILE_BYTES = 200_000
MAX_DEPTH = 10  # a survey nests four deep (survey, questions, a question, its options)
TITLE_LIMIT = 255
TOP_KEYS = {"title", "anonymous", "min_responses", "audience", "opens", "closes", "questions"}
QUESTION_KEYS = {"text", "type", "required", "options", "min", "max", "scale", "labels"}
KEYS_FOR = {
    "options": {Kind.SINGLE, Kind.MULTIPLE},
    "min": {Kind.MULTIPLE, Kind.NUMBER},
    "max": {Kind.MULTIPLE, Kind.NUMBER},
    "scale": {Kind.RATING},
    "labels": {Kind.RATING},
}
TRUE = {"yes", "true", "on", "y", "có", "co"}
FALSE = {"no", "false", "off", "n", "không", "khong"}
END_OF_DAY = time(23, 59)
AUDIENCES = {"all": None, "leaders": "leaders", "committee": "leaders"}


@dataclass(frozen=True)
class FileProblem:
    """What is wrong at a line of the file; `code` is translated by the caller."""

    line: int
    code: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class SurveySpec:
    title: str = ""
    anonymous: bool = False
    min_responses: int | None = None
    audience_role: str | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    questions: list[Question] = field(default_factory=list)


def read_survey_file(content: bytes, tz: tzinfo) -> SurveySpec | list[FileProblem]:
    """The survey in the file, or every problem found (nothing partial)."""
    if len(content) > MAX_FILE_BYTES:
        return [FileProblem(1, "file_too_large", {"limit": MAX_FILE_BYTES // 1000})]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [FileProblem(1, "not_utf8")]
    try:
        too_deep = _too_deep(text)
        root = None if too_deep else yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        return [FileProblem(mark.line + 1 if mark else 1, "not_yaml")]
    return [too_deep] if too_deep else check_survey(root, tz)


def _too_deep(text: str) -> FileProblem | None:
    """Nesting past MAX_DEPTH, found from the parser's events (a loop, no recursion):
    composing a file nested thousands deep would exhaust Python's stack."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else 1
                return FileProblem(line, "too_deep", {"limit": MAX_DEPTH})
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def check_survey(root: Node | None, tz: tzinfo) -> SurveySpec | list[FileProblem]:
    """The survey in a YAML node tree (also built from a spreadsheet), or its problems."""
    reader = _Reader(tz)
    spec = reader.survey(root)
    return sorted(reader.problems, key=lambda p: p.line) or spec


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


class _Reader:
    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.problems: list[FileProblem] = []

    def problem(self, node: Node, code: str, **values: Any) -> None:
        self.problems.append(FileProblem(_line(node), code, values))

    def mapping(self, node: Node | None, allowed: set[str], name: str) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            self.problems.append(FileProblem(_line(node) if node else 1, "not_a_mapping"))
            return {}
        found: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value).strip().lower()
            if key not in allowed:
                self.problem(key_node, "unknown_key", key=key, where=name)
            else:
                found[key] = value_node
        return found

    def text(self, node: Node, key: str, limit: int) -> str:
        if not isinstance(node, ScalarNode):
            self.problem(node, "not_text", key=key)
            return ""
        value = " ".join(str(node.value).split())
        if not value:
            self.problem(node, "empty", key=key)
        elif len(value) > limit:
            self.problem(node, "too_long", key=key, limit=limit)
        return value

    def flag(self, node: Node, key: str) -> bool:
        value = str(node.value).strip().lower() if isinstance(node, ScalarNode) else ""
        if value not in TRUE | FALSE:
            self.problem(node, "not_yes_no", key=key)
        return value in TRUE

    def number(self, node: Node, key: str, whole: bool = True) -> float | None:
        raw = str(node.value).strip() if isinstance(node, ScalarNode) else ""
        try:
            value = int(raw) if whole else float(raw.replace(",", "."))
        except ValueError:
            self.problem(node, "not_a_whole_number" if whole else "not_a_number", key=key)
            return None
        return value

    def moment(self, node: Node, key: str) -> datetime | None:
        """`dd/mm/yyyy HH:MM` in the bot's time zone; a date alone opens at the start of the
        day and closes at its end (23:59)."""
        raw = str(node.value).strip() if isinstance(node, ScalarNode) else ""
        day_text, _sep, time_text = raw.partition(" ")
        day = parse_date(day_text)
        default = END_OF_DAY if key == "closes" else time(0, 0)
        try:
            clock = time.fromisoformat(time_text.strip()) if time_text.strip() else default
        except ValueError:
            day = None
        if day is None:
            self.problem(node, "bad_datetime", key=key)
            return None
        return datetime.combine(day, clock, self.tz)

    def survey(self, root: Node | None) -> SurveySpec:
        spec = SurveySpec()
        keys = self.mapping(root, TOP_KEYS, "survey")
        if not keys:
            return spec
        for key in ("title", "questions"):
            if key not in keys:
                self.problem(root or keys[key], "missing_key", key=key)
        if "title" in keys:
            spec.title = self.text(keys["title"], "title", TITLE_LIMIT)
        self._settings(keys, spec)
        if "questions" in keys:
            spec.questions = self.questions(keys["questions"])
        return spec

    def _settings(self, keys: dict[str, Node], spec: SurveySpec) -> None:
        if "anonymous" in keys:
            spec.anonymous = self.flag(keys["anonymous"], "anonymous")
        if "min_responses" in keys:
            value = self.number(keys["min_responses"], "min_responses")
            spec.min_responses = int(value) if value is not None and value >= 1 else None
            if value is not None and value < 1:
                self.problem(keys["min_responses"], "at_least_one", key="min_responses")
        if "audience" in keys:
            node = keys["audience"]
            raw = str(node.value).strip().lower() if isinstance(node, ScalarNode) else ""
            if raw not in AUDIENCES:
                self.problem(node, "bad_audience")
            spec.audience_role = AUDIENCES.get(raw)
        if "opens" in keys:
            spec.opens_at = self.moment(keys["opens"], "opens")
        if "closes" in keys:
            spec.closes_at = self.moment(keys["closes"], "closes")
        if spec.opens_at and spec.closes_at and spec.closes_at <= spec.opens_at:
            self.problem(keys["closes"], "closes_before_opens")

    def questions(self, node: Node) -> list[Question]:
        if not isinstance(node, SequenceNode) or not node.value:
            self.problem(node, "no_questions")
            return []
        if len(node.value) > MAX_QUESTIONS:
            self.problem(node, "too_many_questions", limit=MAX_QUESTIONS)
        found = [self.question(item) for item in node.value]
        return [q for q in found if q is not None]

    def question(self, node: Node) -> Question | None:
        keys = self.mapping(node, QUESTION_KEYS, "question")
        if "text" not in keys or "type" not in keys:
            self.problem(node, "missing_key", key="text" if "text" not in keys else "type")
            return None
        text = self.text(keys["text"], "text", QUESTION_LIMIT)
        kind_node = keys["type"]
        try:
            kind = Kind(str(kind_node.value).strip().lower())
        except ValueError:
            self.problem(kind_node, "bad_type", value=str(kind_node.value)[:30])
            return None
        for key, kinds in KEYS_FOR.items():
            if key in keys and kind not in kinds:
                self.problem(keys[key], "key_not_for_type", key=key, type=kind.value)
        required = self.flag(keys["required"], "required") if "required" in keys else True
        question = Question(text=text, kind=kind, required=required)
        return self._details(node, keys, question)

    def _details(self, node: Node, keys: dict[str, Node], question: Question) -> Question:
        values: dict[str, Any] = {}
        if question.kind in (Kind.SINGLE, Kind.MULTIPLE):
            values["options"] = self.options(keys.get("options"), node)
        if question.kind in (Kind.MULTIPLE, Kind.NUMBER):
            whole = question.kind == Kind.MULTIPLE
            for key in ("min", "max"):
                if key in keys:
                    values[key] = self.number(keys[key], key, whole)
            low, high = values.get("min"), values.get("max")
            if low is not None and high is not None and low > high:
                self.problem(keys["max"], "min_above_max")
        if question.kind == Kind.RATING:
            values.update(self.rating(keys))
        return replace(question, **values)

    def options(self, node: Node | None, question: Node) -> tuple[str, ...]:
        if not isinstance(node, SequenceNode):
            self.problem(node or question, "options_needed")
            return ()
        options = tuple(self.text(item, "options", OPTION_LIMIT) for item in node.value)
        if len(options) < 2:
            self.problem(node, "options_needed")
        elif len(options) > MAX_OPTIONS:
            self.problem(node, "too_many_options", limit=MAX_OPTIONS)
        return options

    def rating(self, keys: dict[str, Node]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "scale" in keys:
            scale = self.number(keys["scale"], "scale")
            if scale not in RATING_SCALES:
                self.problem(keys["scale"], "bad_scale")
            values["scale"] = int(scale) if scale in RATING_SCALES else 5
        if "labels" in keys:
            node = keys["labels"]
            if not isinstance(node, SequenceNode) or len(node.value) != 2:
                self.problem(node, "bad_labels")
            else:
                low, high = (self.text(item, "labels", OPTION_LIMIT) for item in node.value)
                values["labels"] = (low, high)
        return values
