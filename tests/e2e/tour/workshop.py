"""Screenshots 70-89: the live workshop.

The demo trainer creates a workshop through the form (first empty, to see the errors) and runs
it from the control page (also shown at 360 px); the projector is opened at 1280x720 and
1920x1080 and shot as the room sees it (the viewport only), its join QR code decoded with
zbarimg against the URL shown, and the corner QR code too; three phones (360x740) join (one
roster member typed with a full-width space, two new names), the trainer confirms them
(「未確認の3人を、まとめて確認済みにする」), they answer the one-page tests by tapping answers,
one passes the post-test with the answers from quizzes/basic-post.yaml and opens the
certificate, all send the survey; the projector is shot after its script has fetched each new
state. A keyboard check Tabs to the first radio button of a phone's test, selects with Space and
ArrowDown and reports whether the focus is visible. The secretariat's review page (participants
not on the roster) ends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.driver.actions import network_url, sign_in, squash, submit
from tests.e2e.driver.quiz import post_questions
from tests.e2e.driver.workshop import (
    LIVE_MS,
    answer_test_by_position,
    answer_test_right,
    fill_join_form,
    fill_workshop_form,
    next_phase,
    send_survey,
    submit_test,
    wait_phase,
)
from tests.e2e.tour.demo import Demo, open_page
from tests.e2e.tour.keyboard import keyboard_check
from tests.e2e.tour.shooter import Shooter, shoot_page, shoot_screen
from trainer.timeutil import today_jst

PHONE = (360, 740, 2)  # a participant's phone
DESK = (1280, 900, 1)
PROJECTORS = ((1280, 720), (1920, 1080))  # an older projector and a full-HD one
# Three phones join: one on the roster (typed with a full-width space), two new names. Not the
# demo learner (佐藤 恵子): the learner journey has her take the course's quizzes already, and a
# member who has taken a test gets no workshop test ("すでに回答済みです").
PEOPLE = (
    ("みどり市消費生活センター", "高橋　真理", "たかはし まり"),
    ("みどり市地域包括支援センター", "相談 太郎", "そうだん たろう"),
    ("生活協同組合コープみどり 宅配センター", "生協 みどり", "せいきょう みどり"),
)
COMMENTS = (
    "具体的な事例が分かりやすかったです。クーリング・オフの日数の数え方を、職場でも共有します。",
    "",
    "文字が大きくて読みやすかったです。",
)


@dataclass
class Room:
    """The workshop under way: the trainer's pages, the projectors and the phones, and a
    Shooter per kind of screen."""

    browser: Browser
    demo: Demo
    out: Path
    n: str = ""  # the network's address
    trainer: Page | None = None  # the control page at 1280 px
    small: Page | None = None  # the control page on the trainer's phone
    control_url: str = ""
    join_url: str = ""
    projectors: dict[int, Page] = field(default_factory=dict)
    phones: list[Page] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.desk, self.narrow, self.phone = (Shooter(w, self.out) for w in (1280, 360, 360))
        self.wall = {w: Shooter(w, self.out) for w, _ in PROJECTORS}

    def problems(self) -> list[str]:
        shooters = (self.desk, self.narrow, self.phone, *self.wall.values())
        return [p for s in shooters for p in s.problems]


def workshop(browser: Browser, demo: Demo, out: Path) -> list[str]:
    """The whole journey; returns the problems seen."""
    room = Room(browser, demo, out)
    create_workshop(room)
    control_pages(room)
    open_projectors(room)
    phones_join(room)
    roll_call(room)
    pre_test(room)
    post_test(room)
    survey(room)
    close(room)
    review(room)
    return room.problems()


def wait_projector(page: Page, selector: str, text: str) -> None:
    """Until the projector's script has fetched the live part with `text` in `selector`."""
    expect(page.locator(selector).first).to_contain_text(text, timeout=LIVE_MS)
    page.wait_for_timeout(300)


def shoot_projectors(room: Room, number: int, name: str, selector: str, text: str) -> None:
    for width, page in room.projectors.items():
        wait_projector(page, selector, text)
        shoot_screen(room.wall[width], page, number, name)


def create_workshop(room: Room) -> None:
    """The form, first sent empty (the errors), then filled in; the control page."""
    trainer = open_page(room.browser, room.desk, DESK)
    room.trainer = trainer
    sign_in(trainer, room.demo.base, *room.demo.logins["講師"])
    room.n = network_url(trainer)
    trainer.goto(room.n + "/workshops/new")
    submit(trainer)
    if not trainer.locator("main p.error").count():
        room.desk.problems.append("workshop-new: no validation errors for an empty form")
    shoot_page(room.desk, trainer, 70, "workshop-new-errors")
    title = "みどり市見守りネットワーク 令和8年度 第1回研修会"
    fill_workshop_form(trainer, title, today_jst(), "みどり市役所 本庁舎3階 大会議室")
    shoot_page(room.desk, trainer, 70, "workshop-new")
    submit(trainer)
    if not re.search(r"/workshops/\d+$", trainer.url):
        raise SystemExit(f"creating the workshop ended on {trainer.url}")
    room.control_url = trainer.url
    shoot_page(room.desk, trainer, 71, "workshop-control")
    spaced = trainer.inner_text("main .join-code").strip()
    room.join_url = trainer.inner_text("main .join-box .url-box").strip()
    print(f"workshop: join code {spaced}, join URL {room.join_url}")


def control_pages(room: Room) -> None:
    """The control page and the list of workshops on the trainer's phone, and the list at
    1280 px."""
    room.small = small = open_page(room.browser, room.narrow, PHONE)
    sign_in(small, room.demo.base, *room.demo.logins["講師"])
    small.goto(room.control_url)
    shoot_page(room.narrow, small, 71, "workshop-control")
    small.goto(room.n + "/workshops/")
    shoot_page(room.narrow, small, 70, "workshops")
    room.trainer.goto(room.n + "/workshops/")
    shoot_page(room.desk, room.trainer, 70, "workshops")
    room.trainer.goto(room.control_url)


def open_projectors(room: Room) -> None:
    """The projector in its own windows (same sign-in), at two real projector sizes; its join
    QR code read from the whole screen."""
    for width, height in PROJECTORS:
        s = room.wall[width]
        page = s.watch(room.trainer.context.new_page())
        page.set_viewport_size({"width": width, "height": height})
        page.goto(room.control_url + "/projector")
        room.projectors[width] = page
        shot = shoot_screen(s, page, 72, "projector-reception")
        shown = page.inner_text(".pj-url").strip()
        if shown != room.join_url:
            s.problems.append(f"projector shows {shown!r}, the control page {room.join_url!r}")
        s.expect_qr(shot, room.join_url, "projector join code (whole screen)")
        code_box = page.locator(".pj-code").bounding_box()
        qr_box = page.locator(".pj-qr svg").bounding_box()
        print(
            f"    join code {page.inner_text('.pj-code')!r} {code_box['height']:.0f} px high, "
            f"QR {qr_box['width']:.0f} px square on a {width}x{height} screen"
        )


def phones_join(room: Room) -> None:
    """Three phones join (the first also sends the form empty, to see the errors)."""
    for i, (organisation, name, kana) in enumerate(PEOPLE):
        page = open_page(room.browser, room.phone, PHONE)
        page.on("response", lambda r, s=room.phone: failed_save(r, s))
        page.on("requestfailed", lambda r, s=room.phone: failed_request(r, s))
        page.goto(room.join_url)
        if i == 0:
            shoot_page(room.phone, page, 73, "join-form")
            submit(page)  # empty: the errors
            shoot_page(room.phone, page, 73, "join-form-errors")
        fill_join_form(page, organisation, name, kana)
        expect(page.get_by_text("受付が完了しました")).to_be_visible()
        room.phones.append(page)
    greeting = squash(room.phones[0].inner_text(".phase-who"))
    print(f"    phone 1 (typed 高橋　真理) is greeted as: {greeting}")
    if not greeting.startswith("高橋 真理さん"):
        room.phone.problems.append(f"the roster member was not matched: {greeting!r}")
    shoot_page(room.phone, room.phones[0], 74, "join-waiting")
    shoot_page(room.phone, room.phones[2], 74, "join-waiting-long-name")
    shoot_projectors(room, 72, "projector-reception-joined", ".pj-count", "3人 参加")


def roll_call(room: Room) -> None:
    """A typed name is 未確認 (its certificate would be 確認中): after a roll call the trainer
    confirms the people in the room on the control page."""
    trainer = room.trainer
    trainer.reload()
    if trainer.locator("main table.list .badge", has_text="未確認").count() != 3:
        room.desk.problems.append("workshop-control: the three typed names are not all 未確認")
    shoot_page(room.desk, trainer, 71, "workshop-control-joined")
    submit(trainer, trainer.get_by_role("button", name="未確認の3人を、まとめて確認済みにする"))
    if trainer.locator("main table.list .badge", has_text="未確認").count():
        room.desk.problems.append("workshop-control: someone is still 未確認 after the roll call")


def pre_test(room: Room) -> None:
    """事前テスト: the phones turn to the test by themselves; the keyboard check on one."""
    phones, s = room.phones, room.phone
    next_phase(room.trainer, "次へ：事前テストを始める", "事前テスト")
    for page in phones:
        wait_phase(page, "事前テスト")
    keyboard_check(phones[1], s)
    phones[1].reload()
    shoot_page(s, phones[0], 75, "phone-test-top", full_page=False)
    answer_test_by_position(phones[0])
    shoot_page(s, phones[0], 76, "phone-test-full")
    answer_test_by_position(phones[1])
    shoot_projectors(room, 77, "projector-pre-answering", ".pj-progress", "回答中")
    submit_test(phones[0], "事前テストの回答を受け付けました")
    shoot_page(s, phones[0], 78, "phone-test-submitted")
    submit_test(phones[1], "事前テストの回答を受け付けました")
    answer_test_by_position(phones[2])
    submit_test(phones[2], "事前テストの回答を受け付けました")
    for width, page in room.projectors.items():
        wait_projector(page, ".pj-progress", "3 / 3人 提出")
        page.wait_for_timeout(2_500)  # one more refresh: the bars as well
        shoot_screen(room.wall[width], page, 77, "projector-pre")
        corner = page.locator(".pj-corner-qr svg")
        room.wall[width].expect_qr_element(corner, room.join_url, "corner")
    room.trainer.reload()
    shoot_page(room.desk, room.trainer, 71, "workshop-control-pre")


def post_test(room: Room) -> None:
    """研修, then 事後テスト: phone 1 (on the roster) answers everything right and passes."""
    phones, s = room.phones, room.phone
    next_phase(room.trainer, "次へ：研修を始める", "研修")
    for page in phones:
        wait_phase(page, "研修")
    shoot_page(s, phones[0], 79, "phone-training")
    shoot_projectors(room, 79, "projector-training", ".pj-phase", "研修")
    next_phase(room.trainer, "次へ：事後テストを始める", "事後テスト")
    for page in phones:
        wait_phase(page, "事後テスト")
    answer_test_right(phones[0], post_questions())
    submit_test(phones[0], "合格です")
    certificate = phones[0].locator("main a", has_text="修了証を開く")
    if not certificate.count():
        s.problems.append("the passing phone has no 修了証を開く link")
    shoot_page(s, phones[0], 80, "phone-result")
    submit(phones[0], certificate.first)
    shoot_page(s, phones[0], 81, "phone-certificate")
    phones[0].go_back()
    for page in phones[1:]:
        answer_test_by_position(page)
        submit_test(page, "事後テスト：")
    shoot_page(s, phones[1], 80, "phone-result-failed")
    for width, page in room.projectors.items():
        wait_projector(page, ".pj-progress", "3 / 3人 提出")
        page.wait_for_timeout(2_500)
        shoot_screen(room.wall[width], page, 82, "projector-post")


def survey(room: Room) -> None:
    """アンケート on every phone."""
    next_phase(room.trainer, "次へ：アンケートを始める", "アンケート")
    for i, page in enumerate(room.phones):
        wait_phase(page, "アンケート")
        if i == 0:
            shoot_page(room.phone, page, 83, "phone-survey")
        send_survey(page, COMMENTS[i], pick=i % 2)
    shoot_page(room.phone, room.phones[0], 84, "phone-survey-sent")
    shoot_projectors(room, 85, "projector-survey", ".pj-dists", "（3人")


def close(room: Room) -> None:
    """終了, on the phones, the projectors and the control page (both widths)."""
    next_phase(room.trainer, "次へ：終了にする", "終了")
    for page in room.phones:
        wait_phase(page, "終了")
    shoot_page(room.phone, room.phones[0], 86, "phone-closed")
    shoot_projectors(room, 87, "projector-closed", ".pj-phase", "終了")
    shoot_page(room.desk, room.trainer, 88, "workshop-control-closed")
    room.small.goto(room.control_url)
    shoot_page(room.narrow, room.small, 88, "workshop-control-closed")
    for page in (*room.phones, room.small, room.trainer):
        page.context.close()


def review(room: Room) -> None:
    """The secretariat: the participants no roster member matched."""
    for s, size in ((room.desk, DESK), (room.narrow, PHONE)):
        page = open_page(room.browser, s, size)
        sign_in(page, room.demo.base, *room.demo.logins["事務局"])
        page.goto(room.n + "/workshops/review")
        for name in ("相談 太郎", "生協 みどり"):
            if not page.get_by_text(name).count():
                s.problems.append(f"workshop-review: {name} is not on the review page")
        shoot_page(s, page, 89, "workshop-review")
        page.context.close()


def failed_save(response, s: Shooter) -> None:
    """An autosave (fetch) the server refused: noted with the start of its answer."""
    request = response.request
    if request.method == "POST" and "/answers/" in request.url and response.status >= 400:
        try:
            body = squash(response.text())[:300]
        except Exception:  # the body may be gone with a reloaded page
            body = "?"
        s.problems.append(f"autosave {request.url} answered {response.status}: {body}")
        print(f"    autosave answered {response.status}: {body}")


def failed_request(request, s: Shooter) -> None:
    """A request that got no answer at all (an autosave shows 通信が切れています then)."""
    if "/answers/" in request.url:
        s.problems.append(f"autosave {request.url} failed: {request.failure}")
        print(f"    autosave failed: {request.failure}")
