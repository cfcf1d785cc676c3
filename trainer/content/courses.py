"""Courses as files: `courses/<slug>/course.yaml` and numbered Markdown modules.

docs/content-format.md documents this for trainers; keep the two in step.
load_course() returns frozen dataclasses or raises ContentError with every problem found.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from trainer.content import form_checks, placeholders
from trainer.content.banks import bank_paths, check_bank
from trainer.content.problems import ContentError, Problem, display_path
from trainer.content.review_date import read_reviewed_on, read_sources
from trainer.content.yaml_lines import YamlProblem, load_mapping
from trainer.timeutil import today_jst

COURSE_FILE = "course.yaml"
COURSE_KEYS = {
    "title",
    "summary",
    "modules",
    "pre_quiz",
    "post_quiz",
    "survey",
    "pass_mark",
    "certificate_months",
    "reviewed_on",
    "sources",
    "counterbalance",
}
REQUIRED_COURSE_KEYS = ("title", "modules", "pass_mark", "certificate_months")
MODULE_KEYS = {"title", "minutes"}
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
MODULE_FILE = re.compile(r"^\d{2}-[a-z0-9][a-z0-9-]*\.md$")
CALLOUT = re.compile(r"^!!!\s*(.*)$")
KNOWN_CALLOUTS = {"注意", "ポイント"}


@dataclass(frozen=True)
class ModuleFile:
    slug: str  # the file name without .md: "03-cooling-off"
    title: str
    minutes: int
    body: str  # the Markdown after the front matter
    source_hash: str  # SHA-256 of the whole file: a new hash is a new version


@dataclass(frozen=True)
class CourseFile:
    slug: str
    title: str
    summary: str
    modules: tuple[ModuleFile, ...]
    pre_quiz: str | None
    post_quiz: str | None
    survey: str | None  # a bank of likert questions, asked with both quizzes
    pass_mark: int
    certificate_months: int
    source_hash: str  # of course.yaml
    reviewed_on: date | None = None  # 内容の確認日: when checked against the law
    sources: tuple[str, ...] = ()  # 法令の出典: what it was checked against
    # The two banks are parallel forms taken in a per-learner order (A→B or B→A).
    counterbalance: bool = False

    @property
    def minutes(self) -> int:
        return sum(m.minutes for m in self.modules)


def course_dirs(courses_root: Path) -> list[Path]:
    if not courses_root.is_dir():
        return []
    return sorted(p for p in courses_root.iterdir() if (p / COURSE_FILE).is_file())


def load_course(course_dir: Path, quizzes_root: Path | None = None) -> CourseFile:
    problems: list[Problem] = []
    course = _read_course(course_dir, quizzes_root, problems)
    errors = [p for p in problems if not p.warning]
    if errors or course is None:
        raise ContentError(sorted(problems))
    return course


def check_course(course_dir: Path, quizzes_root: Path | None = None) -> list[Problem]:
    """The course's problems; with the folder of banks, also its banks' and the warnings on
    its test forms (trainer.content.form_checks)."""
    problems: list[Problem] = []
    course = _read_course(course_dir, quizzes_root, problems)
    if course is not None and quizzes_root is not None:
        problems += form_checks.course_warnings(course_dir, course, quizzes_root)
    return sorted(set(problems))


Report = Callable[..., None]  # problem(key, message, line=None, warning=False): in course.yaml


def _read_course(
    course_dir: Path, quizzes_root: Path | None, problems: list[Problem]
) -> CourseFile | None:
    path = course_dir / COURSE_FILE
    shown = display_path(path)
    if not path.is_file():
        problems.append(Problem(shown, 1, f"{COURSE_FILE} がありません"))
        return None
    text = path.read_text(encoding="utf-8")
    try:
        data, key_lines, item_lines = load_mapping(text)
    except YamlProblem as error:
        problems.append(Problem(shown, error.line, error.message))
        return None

    def problem(
        key: str | None, message: str, line: int | None = None, warning: bool = False
    ) -> None:
        problems.append(Problem(shown, line or key_lines.get(key or "", 1), message, warning))

    slug = course_dir.name
    if not SLUG.match(slug):
        problem(None, f"フォルダ名「{slug}」は半角英小文字・数字・ハイフンにしてください")
    _check_course_settings(data, quizzes_root, problem)
    reviewed_on = read_reviewed_on(data, problem, today_jst())
    sources = read_sources(data, problem)
    modules: list[ModuleFile] = []
    if "modules" in data:
        lines = item_lines.get("modules", [])
        list_line = key_lines.get("modules", 1)
        modules = _read_listed_modules(
            course_dir, data["modules"], lines, list_line, problem, problems
        )
    if any(not p.warning for p in problems):
        return None
    title, summary = data["title"], data.get("summary", "")
    pass_mark, months = data["pass_mark"], data["certificate_months"]
    # What _check_course_settings made sure of, since no problem was found.
    assert isinstance(title, str) and isinstance(pass_mark, int) and isinstance(months, int)
    return CourseFile(
        slug=slug,
        title=title.strip(),
        summary=(summary or "").strip(),
        modules=tuple(modules),
        pre_quiz=data.get("pre_quiz"),
        post_quiz=data.get("post_quiz"),
        survey=data.get("survey"),
        pass_mark=pass_mark,
        certificate_months=months,
        source_hash=hashlib.sha256(text.encode()).hexdigest(),
        reviewed_on=reviewed_on,
        sources=sources,
        counterbalance=data.get("counterbalance", False),
    )


def _check_course_settings(data: dict, quizzes_root: Path | None, problem: Report) -> None:
    """Every key of course.yaml but the module list: known keys, required ones, and values."""
    for key in data:
        if key not in COURSE_KEYS:
            allowed = "、".join(sorted(COURSE_KEYS))
            problem(key, f"知らないキー「{key}」です（使えるキー: {allowed}）")
    for key in REQUIRED_COURSE_KEYS:
        if key not in data:
            problem(None, f"「{key}」がありません")
    title = data.get("title")
    if "title" in data and (not isinstance(title, str) or not title.strip()):
        problem("title", "title は空でない文字列にしてください")
    if not isinstance(data.get("summary", ""), str):
        problem("summary", "summary は文字列にしてください")
    if "pass_mark" in data and not _int_between(data["pass_mark"], 0, 100):
        problem("pass_mark", "pass_mark は 0〜100 の整数（正答率の%）にしてください")
    if "certificate_months" in data and not _int_between(data["certificate_months"], 1, 120):
        problem("certificate_months", "certificate_months は 1〜120 の整数（月数）にしてください")
    for key in ("pre_quiz", "post_quiz", "survey"):
        _check_quiz_reference(data, key, quizzes_root, problem)
    counterbalance = data.get("counterbalance", False)
    if not isinstance(counterbalance, bool):
        problem("counterbalance", "counterbalance は true か false にしてください")
    elif counterbalance and not (data.get("pre_quiz") and data.get("post_quiz")):
        problem(
            "counterbalance",
            "counterbalance: true には pre_quiz と post_quiz の両方（2つの並行テスト）が必要です",
        )


def _read_listed_modules(
    course_dir: Path,
    listed: object,
    lines: list[int],
    list_line: int,
    problem: Report,
    problems: list[Problem],
) -> list[ModuleFile]:
    """The modules course.yaml lists, in its order; each entry's problems point at its line
    (`lines`, or the list's own line for an entry without one). A Markdown file in the folder
    that is not listed is a warning: it would silently not be shown."""
    if not isinstance(listed, list) or not listed:
        problem("modules", "modules にはモジュールのファイル名を1つ以上、順番に並べてください")
        listed = []
    modules: list[ModuleFile] = []
    seen: set[str] = set()
    for index, entry in enumerate(listed):
        line = lines[index] if index < len(lines) else list_line
        if not isinstance(entry, str) or not MODULE_FILE.match(entry):
            message = f"モジュール「{entry}」は「01-name.md」の形のファイル名にしてください"
            problem(None, message, line)
            continue
        if entry in seen:
            problem(None, f"モジュール「{entry}」が2回あります", line)
            continue
        seen.add(entry)
        module_path = course_dir / entry
        if not module_path.is_file():
            problem(None, f"モジュールのファイル「{entry}」がありません", line)
            continue
        module = _read_module(module_path, problems)
        if module is not None:
            modules.append(module)
    for extra in sorted(course_dir.glob("*.md")):
        if extra.name not in seen and extra.name.lower() != "readme.md":
            problems.append(
                Problem(
                    display_path(extra),
                    1,
                    "course.yaml の modules に載っていないため使われません",
                    warning=True,
                )
            )
    return modules


def _int_between(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check_quiz_reference(data: dict, key: str, quizzes_root: Path | None, problem: Report) -> None:
    if key not in data:
        return
    value = data[key]
    if not isinstance(value, str) or not SLUG.match(value):
        problem(key, f"{key} は問題集のID（quizzes/<ID>.yaml の <ID>）にしてください")
    elif quizzes_root is not None and not (quizzes_root / f"{value}.yaml").is_file():
        problem(key, f"{key} の問題集「{value}」がありません（{quizzes_root.name}/{value}.yaml）")


def check_module(path: Path) -> list[Problem]:
    problems: list[Problem] = []
    _read_module(path, problems)
    return sorted(problems)


def _read_module(path: Path, problems: list[Problem]) -> ModuleFile | None:
    shown = display_path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(shown, 1, "UTF-8 で保存してください"))
        return None
    lines = text.splitlines()
    before = len(problems)
    if not lines or lines[0].strip() != "---":
        problems.append(
            Problem(shown, 1, "1行目は前書き（front matter）の始まり「---」にしてください")
        )
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        problems.append(Problem(shown, 1, "前書きの終わり「---」がありません"))
        return None
    front = _read_front_matter(shown, "\n".join(lines[1:end]), problems)
    if front is None:
        return None
    body_start = end + 1  # 0-based index of the first body line
    body_lines = lines[body_start:]
    for offset, line in enumerate(body_lines):
        problems.extend(_body_line_problems(shown, body_start + offset + 1, line))
    if any(not p.warning for p in problems[before:]):
        return None
    return _module(path, front, body_lines, raw)


def _read_front_matter(shown: str, front_text: str, problems: list[Problem]) -> dict | None:
    """The module's front matter (title, minutes), its problems counted from the file's first
    line; None if it is not YAML at all."""
    try:
        front, key_lines, _ = load_mapping(front_text)
    except YamlProblem as error:
        problems.append(Problem(shown, error.line + 1, f"前書き: {error.message}"))
        return None

    def problem(key: str | None, message: str) -> None:
        problems.append(Problem(shown, key_lines.get(key or "", 0) + 1, message))

    for key in front:
        if key not in MODULE_KEYS:
            problem(key, f"前書きに知らないキー「{key}」があります（使えるキー: minutes、title）")
    title = front.get("title")
    if not isinstance(title, str) or not title.strip():
        problem(
            "title" if "title" in front else None,
            "前書きに title（モジュールの題名）を書いてください",
        )
    if not _int_between(front.get("minutes"), 1, 60):
        problem(
            "minutes" if "minutes" in front else None,
            "前書きに minutes（読む時間の目安・1〜60の整数）を書いてください",
        )
    return front


def _body_line_problems(shown: str, number: int, line: str) -> list[Problem]:
    """One line of a module's Markdown: unknown placeholders and callouts are errors; a level-1
    heading is a warning (the page's title is the only one)."""
    found = []
    for name in placeholders.unknown_names(line):
        known = "、".join(sorted(placeholders.NAMES))
        found.append(
            Problem(
                shown,
                number,
                f"知らない差し込み項目「{{{{ {name} }}}}」です（使える項目: {known}）",
            )
        )
    callout = CALLOUT.match(line)
    kind = callout.group(1).strip() if callout else ""
    if callout and kind not in KNOWN_CALLOUTS:
        found.append(
            Problem(shown, number, f"囲み「!!! {kind}」は使えません（!!! 注意 か !!! ポイント）")
        )
    if line.startswith("# "):
        found.append(
            Problem(
                shown,
                number,
                "見出しは ## から使ってください（# はページの題名に使われます）",
                warning=True,
            )
        )
    return found


def _module(path: Path, front: dict, body_lines: list[str], raw: bytes) -> ModuleFile:
    return ModuleFile(
        slug=path.stem,
        title=str(front["title"]).strip(),
        minutes=int(front["minutes"]),
        body="\n".join(body_lines).strip() + "\n",
        source_hash=hashlib.sha256(raw).hexdigest(),
    )


def check_path(path: Path, quizzes_root: Path | None = None) -> list[Problem]:
    """Check a course folder, a folder of courses, a course.yaml, one module, one question bank
    (quizzes/<id>.yaml) or the folder of question banks."""
    if path.is_file():
        if path.name == COURSE_FILE:
            return check_course(path.parent, quizzes_root)
        if path.suffix == ".md":
            return check_module(path)
        if path.suffix == ".yaml":
            return check_bank(path) + form_checks.bank_warnings(path)
        return [
            Problem(
                display_path(path),
                1,
                "course.yaml・モジュール（.md）・問題集（.yaml）を指定してください",
            )
        ]
    if (path / COURSE_FILE).is_file():
        return check_course(path, quizzes_root)
    if path.is_dir():
        dirs = course_dirs(path)
        banks = bank_paths(path)
        if not dirs and not banks:
            return [
                Problem(
                    display_path(path),
                    1,
                    "研修（course.yaml のあるフォルダ）も問題集も見つかりません",
                )
            ]
        found = [p for d in dirs for p in check_course(d, quizzes_root)]
        found += [p for b in banks for p in check_bank(b) + form_checks.bank_warnings(b)]
        return list(dict.fromkeys(found))  # a course's banks may be in the folder too
    return [Problem(display_path(path), 1, "ファイルもフォルダもありません")]
