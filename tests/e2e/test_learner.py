"""A learner in a real browser: their personal link on a phone, the quizzes, the modules, the
certificate and its public check; the quiz answered with the keyboard alone; and the pages a
learner reads most, at 200 % zoom on a phone.

What a person sees is what is checked: headings, the numbers (問3 / 21, 残り約12分, 38%, the
before/after table, 第00001号, dates) and the statuses (未受講 … 修了, 有効). Every page visited is
checked with axe-core (tests/e2e/axe.py).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from tests.e2e.axe import check_page, with_axe
from tests.e2e.conftest import Pages
from tests.e2e.driver.browser import device
from tests.e2e.driver.files import read_qr
from tests.e2e.driver.quiz import COURSE_SLUG, ROOT, question_of, versions
from tests.e2e.driver.seed import Seeded
from tests.live_server import LiveServer
from tests.quizzes.helpers import take
from tests.tools import need
from trainer.accounts.models import Member, Network, User
from trainer.accounts.settings import update_local_facts
from trainer.certificates.service import valid_until_for
from trainer.content.banks import load_bank
from trainer.content.courses import CourseFile, load_course
from trainer.content.placeholders import fill_text
from trainer.content.quizzes import LIKERT_SCALES, TOPICS, Question
from trainer.extensions import db
from trainer.learning import service as learning
from trainer.quizzes.attempts import PRE_TEST_FIRST
from trainer.quizzes.models import QuizQuestion
from trainer.timeutil import today_jst

COURSE: CourseFile = load_course(ROOT / "courses" / COURSE_SLUG)
PRE = load_bank(ROOT / "quizzes" / "basic-pre.yaml").questions
POST = load_bank(ROOT / "quizzes" / "basic-post.yaml").questions
SURVEY = load_bank(ROOT / "quizzes" / "attitude.yaml").questions
# The course is counterbalanced: a learner's pre-test is form A or B (the post-test the other),
# so a question page is looked up among every version of both forms. Both forms have the same
# question ids and topics (parallel items), so the figures below read the same either way.
EITHER_FORM = tuple(versions("basic-pre", "basic-post"))
QUESTIONS_PER_QUIZ = len(PRE) + len(SURVEY)  # 15 scored questions, then the 8-item survey

# Before the course the learner gets these pre-quiz questions right and every other one wholly
# wrong, so the before/after table has a different, predictable figure in each row.
RIGHT_BEFORE = frozenset(
    {"who-may-call", "cooling-off-period", "where-188", "connect-collector", "connect-contract"}
)

# The network's 地域の窓口, so module text and the quiz show the learner's own consumer centre.
LOCAL_FACTS = {
    "consumer_centre_name": "みどり市消費生活センター",
    "consumer_centre_address": "みどり市中央1-2-3 市役所2階",
    "consumer_centre_phone": "0123-45-6789",
    "consumer_centre_hours": "平日 9時〜16時",
    "police_name": "みどり警察署",
    "police_phone": "0123-45-0110",
    "police_address": "みどり市本町4-5",
    "community_support_name": "みどり中央地域包括支援センター",
    "community_support_phone": "0123-45-2525",
    "community_support_address": "みどり市中央6-7",
}

# 200 % zoom on a 360 × 740 phone: Chromium's page zoom doubles the CSS pixel, so the page lays
# out in 180 × 370 CSS pixels (media queries and vw see 180) drawn on the same 360 device pixels.
# A 180 × 370 viewport at device scale factor 2 is exactly that, and its screenshots are the
# phone's 360 pixels wide. (CSS `zoom` on the root would leave media queries and vw at 360 px
# and change what getComputedStyle reports, which no browser zoom does.)
ZOOM_200 = device(180, 370, 2)
MIN_TEXT_PX = 16  # the main text at 100 % (CSS px are the same at any zoom)

Shoot = Callable[..., None]  # (page, name[, width]): a picture for people, never compared


@dataclass
class Learner:
    room: Seeded
    link: str  # the personal link /m/<token>, as the secretariat hands it over (QR code)
    facts: dict[str, str]  # the network's values for the course placeholders

    @property
    def name(self) -> str:
        return self.room.member_name

    def shown(self, text: str) -> str:
        """A question's or choice's text as the learner sees it (placeholders filled)."""
        return " ".join(fill_text(text, self.facts).split())


@pytest.fixture
def learner(live_server: LiveServer, seed_network) -> Learner:
    """見守 花子 on a fresh network's roster, with the network's 地域の窓口 filled in."""
    room = seed_network()
    with live_server.app_context():
        network = db.session.get(Network, room.network_id)
        trainer = db.session.scalar(select(User).where(User.email == room.trainer_email))
        update_local_facts(db.session, network=network, values=LOCAL_FACTS, actor=trainer)
        member = db.session.scalar(select(Member).where(Member.network_id == room.network_id))
        return Learner(room, live_server.url(f"/m/{member.link_token}"), network.local_facts())


# --- what every page shows ------------------------------------------------------------------------


def title(page: Page, text: str) -> None:
    """The page's one heading (h1) says `text`."""
    expect(page.locator("h1")).to_have_text(text)


def status_badge(page: Page) -> Locator:
    return page.locator(".status-line .badge")


def jdate(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def percent(right: float, total: int) -> str:
    return f"{round(100 * right / total)}%"


# --- answering a question page with the pointer (journey 1) ---------------------------------------


def answer(page: Page, learner: Learner, question: Question, *, right: bool, likert: int) -> None:
    """Tick the real radio buttons and checkboxes by their labels: all right, or all wrong
    (`likert` for the survey, which is not scored)."""
    form = page.locator("form.quiz-form")
    if question.type == "single":
        choice = next(c for c in question.choices if c.correct == right)
        form.get_by_role("radio", name=learner.shown(choice.text), exact=True).check()
    elif question.type == "multi":
        for choice in question.choices:
            box = form.get_by_role("checkbox", name=learner.shown(choice.text), exact=True)
            box.set_checked(choice.correct == right)
    elif question.type == "truefalse":
        for n, case in enumerate(question.cases, start=1):
            group = form.get_by_role("group", name=f"{n}. {learner.shown(case.text)}", exact=True)
            yes = case.answer == right
            group.get_by_role("radio", name="はい" if yes else "いいえ", exact=True).check()
    else:
        label = LIKERT_SCALES[question.scale][likert - 1]
        form.get_by_role("radio", name=label, exact=True).check()


def take_quiz(
    page: Page,
    learner: Learner,
    phase: str,
    bank: tuple[Question, ...],
    right: frozenset[str],
    likert: int,
    shoot: Shoot,
) -> None:
    """From the first question page to the review page, one question per page. The question is
    found by its text with the network's own facts filled in, as the learner reads it."""
    for n in range(1, QUESTIONS_PER_QUIZ + 1):
        title(page, f"{phase} 問{n}")
        expect(page.locator("p.where")).to_have_text(f"問{n} / {QUESTIONS_PER_QUIZ}")
        question = question_of(page.locator("form.quiz-form"), bank + SURVEY, learner.shown)
        check_page(page, f"learner {phase} 問{n} ({question.type})")
        answer(page, learner, question, right=question.id in right, likert=likert)
        if n == 1:
            shoot(page, f"{'pre' if phase == '事前テスト' else 'post'}-question")
        last = n == QUESTIONS_PER_QUIZ
        page.get_by_role("button", name="答えて確認へ" if last else "答えて次へ").click()
    title(page, f"{phase}の確認")
    expect(page.get_by_text("すべての問題に答えました。")).to_be_visible()
    expect(page.locator(".review-list .badge")).to_have_text(["回答済み"] * QUESTIONS_PER_QUIZ)
    check_page(page, f"learner {phase} review")
    page.get_by_role("button", name="提出する").click()
    title(page, f"{phase}の結果")


def topic_rates(bank: tuple[Question, ...], right: frozenset[str]) -> dict[str, str]:
    """Per topic label, the share answered right, as the result page shows it."""
    by_topic: dict[str, list[bool]] = {}
    for q in bank:
        by_topic.setdefault(TOPICS[q.topic], []).append(q.id in right)
    return {label: percent(sum(marks), len(marks)) for label, marks in by_topic.items()}


def qr_target(page: Page, tmp: Path) -> str | None:
    """What a phone's camera reads from the certificate's QR code (zbar on a screenshot of it).
    None on a laptop without zbar; CI installs it (.ci/run), so there it must be found."""
    if shutil.which("zbarimg") is None and not os.environ.get("CI"):
        return None
    need("zbarimg")
    scanned = read_qr(page.locator(".check svg"), tmp / "certificate-qr.png")
    assert scanned is not None, "zbarimg found no QR code on the certificate"
    return scanned


# --- journey 1: a learner on their phone, from the personal link to the certificate ---------------


def test_a_learner_from_the_personal_link_to_a_valid_certificate(
    live_server: LiveServer, learner: Learner, pages: Pages, screenshot, tmp_path: Path
) -> None:
    phone = with_axe(pages.phone("learner"))

    def shoot(page: Page, name: str, width: int = 360) -> None:
        screenshot(page, f"learner-{name}-{width}")

    opens_the_personal_link(phone, learner, shoot)
    takes_the_pre_quiz(phone, learner, shoot)
    reads_the_modules(phone, shoot)
    fails_the_post_quiz_first(phone, live_server, learner, shoot)
    passes_the_post_quiz(phone, learner, shoot)
    issued = today_jst()
    valid_until = valid_until_for(issued, COURSE.certificate_months)
    verify_url = opens_the_certificate(phone, learner, issued, valid_until, shoot)
    assert re.fullmatch(re.escape(live_server.url("/verify/")) + r"[\w-]{22}", verify_url)
    scanned = qr_target(phone, tmp_path)
    assert scanned in (None, verify_url), f"the QR code reads {scanned!r}"

    for device_, width in ((pages.phone("verifier"), 360), (pages.desktop("verifier"), 1280)):
        with_axe(device_).goto(verify_url)
        sees_a_valid_certificate(device_, learner, issued, valid_until)
        check_page(device_, f"verify {width}")
        shoot(device_, "verify", width)

    back_on_the_phone(phone)
    at_the_office_pc(
        with_axe(pages.desktop("learner at a PC")), learner, issued, valid_until, shoot
    )


def opens_the_personal_link(phone: Page, learner: Learner, shoot: Shoot) -> None:
    """The personal link signs them in: their name, their network, the course not started."""
    phone.goto(learner.link)
    title(phone, f"{learner.name}さんのページ")
    expect(phone.locator(".site-header .who")).to_have_text(f"{learner.name}さん")
    expect(phone.locator(".lead")).to_contain_text(learner.room.network_name)
    expect(phone.locator(".lead")).to_contain_text(learner.room.organisation)
    course_card = phone.locator(".course-list .card")
    expect(course_card.get_by_role("heading", name=COURSE.title)).to_be_visible()
    expect(course_card.locator(".badge")).to_have_text("未受講")
    expect(course_card).to_contain_text(f"残り約{COURSE.minutes}分")
    # The main button is the pre-test, with one line on why it comes first.
    expect(course_card.locator(".next-step")).to_have_text(PRE_TEST_FIRST)
    expect(course_card.locator("a.button")).to_have_text("事前テストを受ける")
    check_page(phone, "learner home")
    shoot(phone, "home")

    course_card.get_by_role("link", name=COURSE.title).click()
    title(phone, COURSE.title)
    expect(status_badge(phone)).to_have_text("未受講")
    expect(phone.locator(".module-list li")).to_have_count(len(COURSE.modules))
    expect(phone.get_by_text("すべてのモジュールを読むと受けられます。")).to_be_visible()
    check_page(phone, "learner course (new)")
    home(phone)
    phone.locator(".course-list .card a.button").click()


def home(page: Page) -> None:
    """The menu's ホーム: the learner's home page."""
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="ホーム").click()
    expect(page.locator("h1")).to_have_text(re.compile("さんのページ$"))


def takes_the_pre_quiz(phone: Page, learner: Learner, shoot: Shoot) -> None:
    """事前テスト (reached with the home page's main button): three questions about themselves
    first (only once), then one page per question."""
    title(phone, f"事前テスト（{COURSE.title}）")
    check_page(phone, "learner pre-quiz attributes")
    phone.get_by_role("group", name="年代").get_by_label("50代").check()
    phone.get_by_role("group", name="性別").get_by_label("女性").check()
    phone.get_by_role("group", name="職種").get_by_label(
        "相談・支援（相談員・ケアマネジャー等）"
    ).check()
    phone.get_by_role("button", name="次へ").click()
    expect(phone.get_by_role("button", name="事前テストを始める")).to_be_visible()
    check_page(phone, "learner pre-quiz start")
    phone.get_by_role("button", name="事前テストを始める").click()
    take_quiz(phone, learner, "事前テスト", EITHER_FORM, RIGHT_BEFORE, 3, shoot)
    expect(phone.locator(".score")).to_have_text(percent(len(RIGHT_BEFORE), len(PRE)))
    # Whole questions; every other answer was wholly wrong, so no note on partly right ones.
    expect(phone.locator(".score-line")).to_have_text(f"{len(PRE)}問中 {len(RIGHT_BEFORE)}問正解")
    expect(phone.locator(".partial-note")).to_have_count(0)
    expect(phone.locator(".verdict")).to_have_count(0)  # no pass or fail before the course
    expect(phone.get_by_role("heading", name="問題と解説")).to_be_visible()
    check_page(phone, "learner pre-quiz result")
    shoot(phone, "pre-result")


def reads_the_modules(phone: Page, shoot: Shoot) -> None:
    """The modules in order: 「次へ →」 and 「← 前へ」 only move; 「読みました」 marks and moves
    on."""
    phone.get_by_role("link", name="研修を読む").click()
    title(phone, COURSE.title)
    expect(status_badge(phone)).to_have_text("事前テスト済")
    # With the pre-test taken, the home page's main button continues the course.
    home(phone)
    expect(phone.locator(".course-list .card .next-step")).to_have_count(0)
    phone.locator(".course-list .card a.button", has_text="研修を読み始める").click()
    for n, module in enumerate(COURSE.modules, start=1):
        title(phone, module.title)
        minutes_left = sum(m.minutes for m in COURSE.modules[n - 1 :])
        expect(phone.locator("p.where")).to_contain_text(
            f"{n} / {len(COURSE.modules)} ・ このモジュール約{module.minutes}分"
            f" ・ 残り約{minutes_left}分"
        )
        expect(phone.locator("p.where .badge")).to_have_count(0)  # not read yet
        check_page(phone, f"learner module {n}")
        if n == 1:
            phone.get_by_role("link", name="次へ →").click()
            title(phone, COURSE.modules[1].title)
            phone.get_by_role("link", name="← 前へ").click()
            title(phone, module.title)
            expect(phone.locator("p.where .badge")).to_have_count(0)
        if n == 2:
            # Their own consumer centre, from 地域の窓口, in the module's table.
            body = phone.locator(".module-body")
            expect(body).to_contain_text(LOCAL_FACTS["consumer_centre_name"])
            expect(body).to_contain_text(LOCAL_FACTS["consumer_centre_phone"])
            shoot(phone, "module")
        last = n == len(COURSE.modules)
        phone.get_by_role(
            "button", name="読みました — 研修の最後です" if last else "読みました — 次へ進む"
        ).click()
    title(phone, COURSE.title)
    expect(phone.get_by_role("status")).to_have_text(
        "すべてのモジュールを読みました。おつかれさまでした。"
    )
    expect(status_badge(phone)).to_have_text(f"学習中 {len(COURSE.modules)}/{len(COURSE.modules)}")
    expect(phone.locator(".module-list .badge")).to_have_text(["読了"] * len(COURSE.modules))
    check_page(phone, "learner course (all read)")


def fails_the_post_quiz_first(
    phone: Page, live_server: LiveServer, learner: Learner, shoot: Shoot
) -> None:
    """A first post-test with every answer wrong (through the services: answering 23 pages again
    would only repeat the pre-test), then its result page as the learner sees it on submitting:
    「もう一度受ける」 right under the score, on the first screen, before the explanations; the
    button starts the retake."""
    with live_server.app_context():
        member = db.session.scalar(
            select(Member).where(Member.network_id == learner.room.network_id)
        )
        failed = take(member, learning.get_course(db.session, COURSE_SLUG), "post", right=set())
        failed_id = failed.id
    phone.goto(live_server.url(f"/learn/attempts/{failed_id}/result"))
    title(phone, "事後テストの結果")
    expect(phone.locator(".score")).to_have_text("0%")
    expect(phone.locator(".score-line")).to_have_text(
        f"{len(POST)}問中 0問正解（合格は{COURSE.pass_mark}%以上）"
    )
    expect(phone.locator(".verdict")).to_have_text("今回は合格点に届きませんでした。")
    retake = phone.get_by_role("button", name="もう一度受ける")
    course_link = phone.locator(".retake-actions").get_by_role("link", name="研修のページへ")
    expect(retake).to_be_in_viewport()
    expect(course_link).to_be_in_viewport()
    score = phone.locator(".score-box").bounding_box()
    first_item = phone.locator(".review-item").first.bounding_box()
    button = retake.bounding_box()
    assert score["y"] + score["height"] <= button["y"] < first_item["y"], (score, button)
    check_page(phone, "learner post-quiz result (failed)")
    shoot(phone, "post-result-failed")
    retake.click()


def passes_the_post_quiz(phone: Page, learner: Learner, shoot: Shoot) -> None:
    """事後テスト retaken (from the failed result's button), every answer right: passed, with
    before vs after per topic; back after 提出する shows the attempt as 提出済み."""
    take_quiz(phone, learner, "事後テスト", EITHER_FORM, frozenset(q.id for q in POST), 4, shoot)
    expect(phone.locator(".score")).to_have_text("100%")
    expect(phone.locator(".score-line")).to_have_text(
        f"{len(POST)}問中 {len(POST)}問正解（合格は{COURSE.pass_mark}%以上）"
    )
    expect(phone.locator(".verdict")).to_have_text("合格です。研修を修了しました。")
    before = topic_rates(PRE, RIGHT_BEFORE)
    rows = phone.locator("table.compare tbody tr")  # cards on a phone: no table roles to find
    expect(rows).to_have_count(len(before))
    for label, rate in before.items():
        row = rows.filter(has=phone.locator("td", has_text=re.compile(f"^{label}$")))
        expect(row.locator("td")).to_have_text([label, rate, "100%"])
    expect(phone.locator(".review-item .badge")).to_have_text(["正解"] * len(POST))
    expect(phone.get_by_role("button", name="もう一度受ける")).to_have_count(0)
    check_page(phone, "learner post-quiz result")
    shoot(phone, "post-result")

    # The browser's back button after 提出する: the review page, asked for again (no-store),
    # says 提出済み and offers nothing to submit.
    phone.go_back()
    title(phone, "事後テストの確認")
    expect(phone.locator(".flash")).to_contain_text("提出済み")
    expect(phone.get_by_role("button", name="提出する")).to_have_count(0)
    expect(phone.locator(".review-list .badge")).to_have_text(["回答済み"] * QUESTIONS_PER_QUIZ)
    check_page(phone, "learner review after submitting")
    shoot(phone, "review-submitted")
    phone.get_by_role("link", name="結果を見る").click()
    title(phone, "事後テストの結果")


def opens_the_certificate(
    phone: Page, learner: Learner, issued: date, valid_until: date, shoot: Shoot
) -> str:
    """The certificate sheet; returns the /verify address printed under its QR code, which
    anyone who scans the code opens."""
    phone.get_by_role("link", name="修了証を開く（第00001号）").click()
    sheet = phone.locator("main.sheet")
    expect(sheet.get_by_role("heading", level=1)).to_have_text("修了証")
    expect(sheet.locator(".serial")).to_have_text("第00001号")
    expect(sheet.locator(".name")).to_have_text(f"{learner.name} 様")
    expect(sheet.locator(".organisation")).to_have_text(learner.room.organisation)
    expect(sheet.locator(".body")).to_have_text(
        f"あなたは{learner.room.network_name}の研修「{COURSE.title}」を修了したことを証します。"
    )
    expect(sheet.locator(".dates")).to_contain_text(f"発行日{jdate(issued)}")
    expect(sheet.locator(".dates")).to_contain_text(f"有効期限{jdate(valid_until)}まで")
    check_page(phone, "learner certificate")
    shoot(phone, "certificate")
    return sheet.locator(".check .url").inner_text().strip()


def back_on_the_phone(phone: Page) -> None:
    """Back on the learner's phone: their certificates, and the course is 修了."""
    phone.get_by_role("link", name="← 戻る").click()
    title(phone, "修了証")
    expect(phone.locator(".course-list .status-line")).to_contain_text("有効")
    check_page(phone, "learner certificates")
    phone.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="ホーム"
    ).click()
    expect(phone.locator(".course-list .badge")).to_have_text("修了")
    check_page(phone, "learner home (done)")


def at_the_office_pc(
    desk: Page, learner: Learner, issued: date, valid_until: date, shoot: Shoot
) -> None:
    """The same link on the office PC (1280 px): the course 修了, the certificate list, the
    sheet."""
    desk.goto(learner.link)
    title(desk, f"{learner.name}さんのページ")
    expect(desk.locator(".course-list .badge")).to_have_text("修了")
    check_page(desk, "learner home 1280")
    shoot(desk, "home", 1280)
    desk.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="修了証").click()
    title(desk, "修了証")
    card = desk.locator(".course-list .card")
    expect(card.get_by_role("heading")).to_have_text(COURSE.title)
    expect(card.locator(".status-line")).to_have_text(re.compile(r"^\s*有効\s+第00001号\s*$"))
    expect(card).to_contain_text(f"発行日 {jdate(issued)}")
    expect(card).to_contain_text(f"有効期限 {jdate(valid_until)}まで")
    check_page(desk, "learner certificates 1280")
    shoot(desk, "certificates", 1280)
    card.get_by_role("link", name="修了証を開く").click()
    expect(desk.locator("main.sheet .serial")).to_have_text("第00001号")
    check_page(desk, "learner certificate 1280")
    shoot(desk, "certificate", 1280)


def sees_a_valid_certificate(page: Page, learner: Learner, issued: date, until: date) -> None:
    title(page, "修了証・構成員証の確認")
    expect(page.locator(".check-result-label")).to_have_text("有効")
    facts = page.locator("dl.verify-facts")
    for term, value in (
        ("氏名", learner.name),
        ("所属", learner.room.organisation),
        ("ネットワーク", learner.room.network_name),
        ("研修", COURSE.title),
        ("発行日", jdate(issued)),
        ("有効期限", f"{jdate(until)}まで"),
    ):
        term_cell = facts.locator("dt").filter(has_text=re.compile(f"^{term}$"))
        expect(term_cell.locator("xpath=following-sibling::dd[1]")).to_have_text(value)


# --- journey 2: the pre-quiz with the keyboard alone ----------------------------------------------

# A short name for what has keyboard focus, as a screen reader would announce it: a control's
# label, a link's or button's text.
_FOCUSED_NAME = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return '';
  const label = el.closest('label') || (el.labels && el.labels[0]);
  const text = label ? label.innerText : (el.innerText || el.value || '');
  return text.replace(/\\s+/g, ' ').trim();
}"""
# Whether focus is on the control looked for: by its name as announced, or by a selector.
_FOCUS_IS = f"""([name, selector]) => selector
  ? document.activeElement.matches(selector)
  : ({_FOCUSED_NAME})() === name"""

# How an element and its label are outlined now (the focus indicator, if any).
_RINGS = """(el) => {
  const ring = (e) => {
    if (!e) return null;
    const s = getComputedStyle(e);
    return {style: s.outlineStyle, width: parseFloat(s.outlineWidth) || 0,
            color: s.outlineColor, shadow: s.boxShadow};
  };
  return {control: ring(el), label: ring(el.closest('label'))};
}"""


def focused(page: Page) -> str:
    return page.evaluate(_FOCUSED_NAME)


def tab_to(page: Page, *, name: str = "", selector: str = "") -> None:
    """Press Tab until the control a person is looking for has focus: a name as announced, or a
    CSS selector. At most 40 presses."""
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate(_FOCUS_IS, [name, selector]):
            return
    raise AssertionError(f"{name or selector!r} not reached with 40 presses of Tab")


def press(page: Page, *keys: str) -> None:
    for key in keys:
        page.keyboard.press(key)


def _luminance(color: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", color)[:3])
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


WHITE = "rgb(255, 255, 255)"


@dataclass
class FocusCheck:
    """Each kind of control's focus indicator is measured once, the first time it gets focus."""

    seen: dict[str, dict] = field(default_factory=dict)

    def control(self, page: Page, kind: str, unfocused: dict) -> None:
        """A radio button or checkbox: the focused one must look different from before, with an
        outline of 2 px or more that stands out 3:1 from the white page (WCAG 1.4.11) on the
        control or round its whole answer (the label)."""
        if kind in self.seen:
            return
        now = page.evaluate(f"() => ({_RINGS})(document.activeElement)")
        assert now != unfocused, f"{kind}: focus changes nothing ({now})"
        visible = [
            part
            for part in ("control", "label")
            if now[part]
            and now[part]["style"] != "none"
            and now[part]["width"] >= 2
            and contrast(now[part]["color"], WHITE) >= 3
        ]
        assert visible, f"{kind}: no focus outline with 3:1 against the page ({now})"
        self.seen[kind] = now

    def element(self, page: Page, kind: str, unfocused: dict) -> None:
        """A link or button: a focus outline of 2 px or more that was not there before."""
        if kind in self.seen:
            return
        now = page.evaluate(f"() => ({_RINGS})(document.activeElement)")["control"]
        assert now != unfocused["control"], f"{kind}: focus changes nothing ({now})"
        assert now["style"] != "none" and now["width"] >= 2, f"{kind}: no outline ({now})"
        self.seen[kind] = now


def rings_of(locator: Locator) -> list[dict]:
    return locator.evaluate_all(f"els => els.map({_RINGS})")


@dataclass
class Chosen:
    """What was answered on one question page, as the learner saw it."""

    kind: str
    labels: list[str] = field(default_factory=list)  # single, multi, likert
    cases: list[str] = field(default_factory=list)  # truefalse: はい/いいえ per case, in order


def answer_by_keyboard(page: Page, focus: FocusCheck) -> Chosen:
    """Tab into the answers and choose with Space and the arrow keys, as someone without a
    mouse does; the focus indicator of each kind of control is measured on the way."""
    form = page.locator("form.quiz-form")
    inputs = form.locator("input[type=radio], input[type=checkbox]")
    before = rings_of(inputs)
    kind = form.evaluate(
        """f => f.querySelector('input[type=checkbox]') ? 'multi'
          : f.querySelector('fieldset.yesno') ? 'truefalse'
          : f.querySelector('input[name=value]') ? 'likert' : 'single'"""
    )
    chosen = Chosen(kind)

    def measure() -> None:
        index = inputs.evaluate_all("els => els.indexOf(document.activeElement)")
        focus.control(page, kind, before[index])

    tab_to(page, selector="form.quiz-form input")
    if kind == "single":  # the second answer shown: ↓ moves to it and chooses it
        press(page, "ArrowDown")
        measure()
        chosen.labels.append(focused(page))
    elif kind == "likert":  # 5 is first; ↓↓ to 3, then ↑ to 4
        press(page, "ArrowDown", "ArrowDown", "ArrowUp")
        measure()
        chosen.labels.append(focused(page))
    elif kind == "multi":  # tick 1, 3 and 4, then Shift+Tab back and untick 3: 1 and 4
        press(page, "Space", "Tab", "Tab", "Space", "Tab", "Space")
        measure()
        press(page, "Shift+Tab", "Space")
        shown = [" ".join(text.split()) for text in form.locator("label.choice").all_inner_texts()]
        chosen.labels = [shown[0], shown[3]]
    else:  # はい (Space) for odd cases, いいえ (→) for even ones; Tab to the next case
        for n in range(1, form.locator("fieldset.yesno").count() + 1):
            if n > 1:
                press(page, "Tab")
            press(page, "Space" if n % 2 else "ArrowRight")
            if n == 1:
                measure()
            chosen.cases.append(focused(page))
    return chosen


def test_the_pre_quiz_with_the_keyboard_alone(learner: Learner, pages: Pages, screenshot) -> None:
    """From the personal link on an office PC to the pre-quiz's result with the keyboard only
    (Tab, Shift+Tab, Space, arrows, Enter): every control reachable, its focus visible, and the
    answers chosen with keys are the ones saved."""
    page = with_axe(pages.desktop("keyboard"))
    focus = FocusCheck()
    keys_to_the_pre_quiz(page, learner, focus)
    answers_attributes_by_keyboard(page, focus)

    answers: dict[int, Chosen] = {}
    for n in range(1, QUESTIONS_PER_QUIZ + 1):
        title(page, f"事前テスト 問{n}")
        check_page(page, f"keyboard 問{n}")
        answers[n] = answer_by_keyboard(page, focus)
        if n == 1:
            screenshot(page, "learner-keyboard-question-1280")  # the focus outline in the picture
        last = n == QUESTIONS_PER_QUIZ
        tab_to(page, name="答えて確認へ" if last else "答えて次へ")
        press(page, "Enter")
    assert set(focus.seen) >= {"single", "multi", "truefalse", "likert", "link", "button"}, (
        focus.seen
    )

    reviews_and_submits_by_keyboard(page, answers[QUESTIONS_PER_QUIZ])
    sees_the_answers_chosen_by_keyboard(page, answers)
    screenshot(page, "learner-keyboard-result-1280")


def keys_to_the_pre_quiz(page: Page, learner: Learner, focus: FocusCheck) -> None:
    """The first Tab shows the skip link; Enter moves on to the page's own content, then to the
    course and its 事前テストへ."""
    page.goto(learner.link)
    title(page, f"{learner.name}さんのページ")
    check_page(page, "keyboard home")
    skip = page.get_by_role("link", name="本文へ移動")
    unfocused = rings_of(skip)[0]
    press(page, "Tab")
    assert focused(page) == "本文へ移動"
    expect(skip).to_be_in_viewport()
    focus.element(page, "link", unfocused)
    press(page, "Enter")
    tab_to(page, name=COURSE.title)
    press(page, "Enter")
    title(page, COURSE.title)
    check_page(page, "keyboard course")
    tab_to(page, name="事前テストへ")
    press(page, "Enter")


def answers_attributes_by_keyboard(page: Page, focus: FocusCheck) -> None:
    """年代, 性別, 職種: one radio group each; ↓ moves through a group and chooses."""
    title(page, f"事前テスト（{COURSE.title}）")
    check_page(page, "keyboard attributes")
    tab_to(page, name="20代以下")
    press(
        page,
        "ArrowDown",
        "ArrowDown",
        "ArrowDown",
        "Tab",
        "ArrowDown",
        "Tab",
        "ArrowDown",
        "ArrowDown",
    )
    assert focused(page) == "相談・支援（相談員・ケアマネジャー等）"
    expect(page.get_by_role("radio", name="50代")).to_be_checked()
    expect(page.get_by_role("radio", name="女性")).to_be_checked()
    unfocused = rings_of(page.get_by_role("button", name="次へ"))[0]
    tab_to(page, name="次へ")
    focus.element(page, "button", unfocused)
    press(page, "Enter")
    expect(page.get_by_role("button", name="事前テストを始める")).to_be_visible()
    check_page(page, "keyboard pre-quiz start")
    tab_to(page, name="事前テストを始める")
    press(page, "Enter")


def reviews_and_submits_by_keyboard(page: Page, likert: Chosen) -> None:
    """The review lists every question as answered; back to the last one (`likert`), the choice
    is kept; then 提出する."""
    title(page, "事前テストの確認")
    expect(page.locator(".review-list .badge")).to_have_text(["回答済み"] * QUESTIONS_PER_QUIZ)
    check_page(page, "keyboard review")
    tab_to(page, selector=".review-list li:last-child a")
    press(page, "Enter")
    title(page, f"事前テスト 問{QUESTIONS_PER_QUIZ}")
    expect(page.get_by_role("radio", name=likert.labels[0], exact=True)).to_be_checked()
    check_page(page, "keyboard 問21 again")
    tab_to(page, name="答えて確認へ")
    press(page, "Enter")
    title(page, "事前テストの確認")
    tab_to(page, name="提出する")
    press(page, "Enter")


def sees_the_answers_chosen_by_keyboard(page: Page, answers: dict[int, Chosen]) -> None:
    """The result lists the learner's answers: exactly the ones chosen with the keys."""
    title(page, "事前テストの結果")
    for n, chosen in answers.items():
        if chosen.kind == "likert":
            continue
        item = page.locator("section.review-item").filter(
            has=page.get_by_role("heading", name=re.compile(rf"^問{n} "))
        )
        if chosen.kind == "truefalse":
            lines = item.locator("ul.answers li")
            expect(lines).to_have_count(len(chosen.cases))
            for line, said in zip(lines.all(), chosen.cases, strict=True):
                expect(line).to_contain_text(f"あなた「{said}」")
        else:
            mine = item.locator("ul.answers li", has_text="← あなたの答え")
            expect(mine).to_have_count(len(chosen.labels))
            for line, label in zip(mine.all(), chosen.labels, strict=True):
                expect(line).to_contain_text(label)
    check_page(page, "keyboard result")


# --- journey 3: 200 % zoom on a phone -------------------------------------------------------------

# Text that runs out of the page, or out of a box that hides its overflow or scrolls it (a
# module's table that must be scrolled sideways to be read, which a keyboard cannot reach). Text
# placed wholly off to the left on purpose (the skip link, a card table's header) is hidden, not
# clipped.
_CLIPPED = """() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = [...range.getClientRects()].filter(r => r.width > 0);
    if (!rects.length || rects.every(r => r.right <= 0)) continue;
    const clip = {left: 0, right: width};
    for (let box = node.parentElement; box && box !== document.body; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== 'visible') {
        const r = box.getBoundingClientRect();
        clip.left = Math.max(clip.left, r.left);
        clip.right = Math.min(clip.right, r.right);
      }
    }
    if (rects.some(r => r.left < clip.left - 1 || r.right > clip.right + 1)) {
      found.push(node.textContent.trim().slice(0, 40));
    }
  }
  const page = document.scrollingElement;
  return {scrollWidth: page.scrollWidth, clientWidth: page.clientWidth, clipped: found};
}"""


def reflows(page: Page, label: str, key_texts: list[Locator]) -> None:
    """No sideways scrolling of the page, no clipped text, and the key texts visible within the
    width at a size of 16 CSS px or more."""
    seen = page.evaluate(_CLIPPED)
    assert seen["scrollWidth"] <= seen["clientWidth"] + 1, f"{label}: scrolls sideways {seen}"
    assert not seen["clipped"], f"{label}: clipped text {seen['clipped']}"
    for text in key_texts:
        expect(text).to_be_visible()
        box = text.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= seen["clientWidth"] + 1, (label, box)
        size = text.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= MIN_TEXT_PX, f"{label}: {text} is {size} px"


def test_quiz_module_and_certificate_at_200_percent_zoom(
    live_server: LiveServer, learner: Learner, pages: Pages, screenshot
) -> None:
    attempt_id, positions = post_quiz_under_way(live_server, learner)
    page = with_axe(pages.open("zoomed phone", ZOOM_200))

    def shoot(name: str) -> None:
        screenshot(page, f"learner-zoom200-{name}-360")

    page.goto(learner.link)
    title(page, f"{learner.name}さんのページ")
    reflows(page, "home", [page.locator(".lead"), page.get_by_role("link", name=COURSE.title)])
    check_page(page, "zoom home")
    page.get_by_role("link", name=COURSE.title).click()
    title(page, COURSE.title)
    reflows(page, "course", [page.locator(".lead"), page.locator(".module-list a").first])
    check_page(page, "zoom course")
    zoomed_modules(page, shoot)

    # One question page of each kind, opened by its address (the learner's own pages; reaching
    # them by answering would only repeat journey 1).
    for kind, n in positions.items():
        page.goto(live_server.url(f"/learn/attempts/{attempt_id}/{n}"))
        title(page, f"事後テスト 問{n}")
        form = page.locator("form.quiz-form")
        question = form.locator("p.question-text, fieldset.choices > legend").first
        reflows(page, f"問{n} ({kind})", [question, *form.locator("label.choice").all()])
        check_page(page, f"zoom 問{n} ({kind})")
        shoot(f"quiz-{kind}")
    page.get_by_role("button", name="答えて確認へ").click()
    title(page, "事後テストの確認")
    reflows(page, "review", [page.locator(".lead"), page.locator(".review-list a").first])
    check_page(page, "zoom review")
    page.get_by_role("button", name="提出する").click()
    zoomed_result_and_certificate(page, shoot)


def post_quiz_under_way(live_server: LiveServer, learner: Learner) -> tuple[int, dict[str, int]]:
    """Through the services: the pre-quiz taken, every module read, the post-quiz answered (all
    right) but not yet submitted, so the learner has quiz pages, modules and a result to come.
    Returns the attempt and, per kind of question, the number of one page of that kind (likert:
    the last question's page, which leads on to the review)."""
    with live_server.app_context():
        member = db.session.scalar(
            select(Member).where(Member.network_id == learner.room.network_id)
        )
        course = learning.get_course(db.session, COURSE_SLUG)
        take(member, course, "pre", right=set())
        attempt = take(member, course, "post", right={q.id for q in POST}, submit=False)
        kinds = [db.session.get(QuizQuestion, qid).type for qid in attempt.question_ids]
        attempt_id = attempt.id
    positions = {kind: kinds.index(kind) + 1 for kind in ("truefalse", "single", "multi")}
    positions["likert"] = len(kinds)
    return attempt_id, positions


def zoomed_modules(page: Page, shoot: Callable[[str], None]) -> None:
    """Every module, with 「次へ →」: four of them have tables."""
    page.get_by_role("link", name=COURSE.modules[0].title).click()
    for n, module in enumerate(COURSE.modules, start=1):
        title(page, module.title)
        body = page.locator(".module-body")
        key_texts = [
            page.get_by_role("heading", level=1),
            page.locator("p.where"),
            body.locator("p").first,
            body.get_by_role("heading", level=2).first,
            page.get_by_role("button", name=re.compile("^読みました")),
        ]
        reflows(page, f"module {n}", key_texts + body.locator("table").all())
        check_page(page, f"zoom module {n}")
        if n == 2:  # the local consumer centre's table
            shoot("module")
        if n < len(COURSE.modules):
            page.get_by_role("link", name="次へ →").click()


def zoomed_result_and_certificate(page: Page, shoot: Callable[[str], None]) -> None:
    title(page, "事後テストの結果")
    expect(page.locator(".verdict")).to_have_text("合格です。研修を修了しました。")
    reflows(page, "result", [page.locator(".verdict"), page.locator("table.compare td").first])
    check_page(page, "zoom result")
    page.get_by_role("link", name=re.compile(r"^修了証を開く")).click()
    sheet = page.locator("main.sheet")
    expect(sheet.get_by_role("heading", level=1)).to_have_text("修了証")
    reflows(
        page,
        "certificate",
        [sheet.locator(s) for s in ("h1", ".name", ".organisation", ".body", ".dates", ".issuer")],
    )
    check_page(page, "zoom certificate")
    shoot("certificate")
