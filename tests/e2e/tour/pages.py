"""Screenshots 01-48: the signed-out pages, the staff's main pages and the learner's, at one
width per call (the run calls each for 360 and 1280 px)."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from tests.e2e.driver.actions import fill_sign_in, network_url, sign_in, submit
from tests.e2e.driver.quiz import COURSE_SLUG, QUIZ_BUTTON, answer_by_position, reached_review
from tests.e2e.tour.certificates import earn_certificate, secretariat_certificates
from tests.e2e.tour.demo import Demo, open_page
from tests.e2e.tour.shooter import Shooter


def signed_out(browser: Browser, s: Shooter, demo: Demo) -> None:
    page = open_page(browser, s)
    page.goto(demo.base + "/")
    s.shoot(page, 1, "home")
    page.click("main a[href='/login']")
    page.wait_for_url("**/login")
    s.shoot(page, 2, "login")
    fill_sign_in(page, demo.logins["事務局"][0], "wrong-password-123")
    if not page.locator("main p.error").count():
        s.problems.append(f"login-failed-{s.width}: no error message shown")
    s.shoot(page, 3, "login-failed")
    page.goto(demo.base + "/no-such-page")
    s.shoot(page, 17, "not-found")
    page.context.close()


def secretariat(browser: Browser, s: Shooter, demo: Demo) -> None:
    page = open_page(browser, s)
    sign_in(page, demo.base, *demo.logins["事務局"])
    s.shoot(page, 4, "dashboard")
    n = network_url(page)
    page.goto(n + "/organisations")
    s.shoot(page, 5, "organisations")
    page.goto(n + "/members")
    s.shoot(page, 6, "members")
    page.fill("#q", "さとう")
    submit(page, "main form.filters button[type=submit]")
    s.shoot(page, 7, "members-search")
    submit(page, page.locator("main table.list a").first)
    s.shoot(page, 8, "member")
    member_url = page.url
    submit(page, page.get_by_role("link", name="個人用リンク・QRコード"))
    s.shoot(page, 9, "member-link")
    s.expect_qr_element(page.locator("svg.qr"), page.input_value("#personal-url"), "personal link")

    page.goto(n + "/members/new")
    submit(page)
    if not page.locator("main p.error").count():
        s.problems.append(f"member-new-errors-{s.width}: no validation errors shown")
    s.shoot(page, 10, "member-new-errors")
    page.goto(member_url)
    submit(page, page.get_by_role("link", name="退会を記録する"))
    s.shoot(page, 11, "member-end")
    page.goto(n + "/staff/")
    s.shoot(page, 12, "staff")
    page.goto(n + "/audit/")
    s.shoot(page, 13, "audit-log")

    # Beyond the main list: the local contact points and the courses as staff see them.
    page.goto(n + "/settings/")
    s.shoot(page, 30, "local-facts")
    page.goto(n + "/courses/")
    s.shoot(page, 31, "courses")
    page.goto(f"{n}/courses/{COURSE_SLUG}/02-consumer-centre-188")
    s.shoot(page, 32, "module-preview")
    page.context.close()


def trainer_and_admin(browser: Browser, s: Shooter, demo: Demo) -> None:
    page = open_page(browser, s)
    sign_in(page, demo.base, *demo.logins["講師"])
    s.shoot(page, 14, "trainer-dashboard")
    page.context.close()

    page = open_page(browser, s)
    sign_in(page, demo.base, *demo.logins["管理者"])
    page.goto(demo.base + "/admin/")
    s.shoot(page, 15, "admin")
    page.context.close()


def learner(browser: Browser, s: Shooter, demo: Demo) -> None:
    """The demo learner (佐藤 恵子) from her personal link: the course, two modules, the
    pre-quiz; then the certificate journey (50-61)."""
    page = open_page(browser, s)
    page.goto(demo.learner_link)
    page.wait_for_url("**/learn")
    s.shoot(page, 16, "learner-home")
    course = f"{demo.base}/learn/{COURSE_SLUG}"
    page.goto(course)
    s.shoot(page, 40, "learner-course")
    page.goto(f"{course}/03-cooling-off")
    s.shoot(page, 41, "learner-module-cooling-off")
    page.goto(f"{course}/05-connect")
    s.shoot(page, 42, "learner-module-connect")
    take_pre_quiz(page, s, demo.base)
    issued = earn_certificate(page, s, demo.base)
    page.context.close()
    secretariat_certificates(browser, s, demo, issued)


def take_pre_quiz(page: Page, s: Shooter, base: str, pick: int = 0) -> None:
    """The pre-quiz through the real forms: attributes, questions, review, result. At the second
    width it has been taken already, so only the start and result pages are shown. With a
    Shooter that takes no shots (other learners, for the secretariat's figures) nothing is
    shot; `pick` chooses the option of every group (the first by default), so that learners
    answer differently."""
    page.goto(f"{base}/learn/{COURSE_SLUG}/quiz/pre")
    if page.locator("input[name=age_band]").count():
        s.shoot(page, 43, "quiz-attributes")
        # Keep what the roster says (the form starts with it); pick the first option otherwise.
        for name in ("age_band", "gender", "job_type"):
            if not page.locator(f"input[name={name}]:checked").count():
                page.locator(f"input[name={name}]").first.check()
        submit(page)
    s.shoot(page, 44, "quiz-start")
    start = page.locator("main form[action*='/start'] button[type=submit]")
    if not start.count():
        submit(page, page.locator("main a[href*='/result']").first)
        s.shoot(page, 48, "quiz-result")
        return
    submit(page, start)
    for n in range(1, 100):
        if reached_review(page):
            break
        # The same option of every group: some answers are wrong, which is fine here.
        answer_by_position(page.locator("main form.quiz-form"), pick)
        if n <= 2:
            s.shoot(page, 44 + n, f"quiz-question-{n}")
        submit(page, QUIZ_BUTTON)
    else:
        raise SystemExit(f"the quiz did not reach its review page ({page.url})")
    s.shoot(page, 47, "quiz-review")
    submit(page, "main form button[type=submit]")
    s.shoot(page, 48, "quiz-result")
