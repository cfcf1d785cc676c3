"""The learner's side: the personal link, their courses, and the module pages."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from trainer.accounts import roster
from trainer.accounts.access import MembershipEnded, learner_required
from trainer.bulletins import home as bulletins_home
from trainer.certificates import service as certificates
from trainer.concerns import submission as concerns
from trainer.courses.progress import courses_for_member, progress
from trainer.extensions import db, limiter
from trainer.learning import service
from trainer.quizzes.attempts import PRE_TEST_FIRST
from trainer.timeutil import today_jst

bp = Blueprint("learning", __name__)


@bp.app_errorhandler(MembershipEnded)
def membership_ended(error: MembershipEnded):
    return ended_page(error.member)


def ended_page(member):
    """What an ended member sees instead of any learner page (HTTP 403): the end date, what it
    means, their certificates with the status /verify shows, and whom to ask. The certificates
    are listed only, not opened: the print page marks a lapsed certificate on screen only and
    the PDF not at all, so either would print as if it were valid."""
    return render_template(
        "learning/ended.html",
        member=member,
        certificates=certificates.of_member(db.session, member.id),
        today=today_jst(),
    ), 403


# Wrong personal links from one address: 60 in 15 minutes. Links that work are not counted and
# never refused: an office or a venue hands out QR slips to hundreds of people behind one
# address (NAT). A link's 288 random bits, not this limit, keep it from being guessed, so a
# right link may go through a bucket that wrong ones have filled; the limit stops a scanner.
LINK_FAILURE_LIMIT = "60 per 15 minutes"


def _link_member():
    """The member of the link in the URL, looked up once per request (None: a wrong link).

    Looked up before the limit is consulted, so a right link is never refused; a wrong one then
    costs the same whatever its selector, one lookup and one count (no timing difference)."""
    if "link_member" not in g:
        token = (request.view_args or {}).get("token", "")
        g.link_member = roster.member_by_link_token(db.session, token)
    return g.link_member


def _link_works() -> bool:
    try:
        return _link_member() is not None
    except Exception:
        # The database failed: the view meets the same error and answers 500. Raised here, it
        # would make Flask-Limiter take its own storage (Redis) for dead.
        return False


@bp.route("/m/<token>", methods=["GET", "POST"])
@limiter.limit(
    LINK_FAILURE_LIMIT,
    exempt_when=_link_works,
    deduct_when=lambda _response: "link_member" in g and g.link_member is None,
)
def personal_link(token: str):
    member = _link_member()
    if member is None:
        return render_template("learning/link_invalid.html"), 404
    # A staff member testing a handed-out link on their own browser is asked first, so that
    # opening it does not silently end their staff session.
    if getattr(current_user, "is_staff", False) and request.method == "GET":
        return render_template("learning/switch.html", member=member, token=token)
    logout_user()
    login_user(member, remember=True)
    return redirect(url_for(".home"))


@bp.get("/learn")
@learner_required
def home():
    return render_template(
        "learning/home.html",
        member=current_user,
        courses=courses_for_member(db.session, current_user),
        today=today_jst(),
        pre_test_first=PRE_TEST_FIRST,
        waiting_reports=concerns.awaiting_acknowledgement(db.session, current_user),
        bulletins=bulletins_home.for_home(db.session, current_user),
    )


@bp.get("/learn/<course_slug>")
@learner_required
def course(course_slug: str):
    course = service.get_course(db.session, course_slug)
    return render_template(
        "learning/course.html",
        progress=progress(db.session, current_user, course),
        certificate=certificates.latest_for(db.session, current_user, course),
        today=today_jst(),
        pre_test_first=PRE_TEST_FIRST,
    )


@bp.get("/learn/<course_slug>/<module_slug>")
@learner_required
def module(course_slug: str, module_slug: str):
    page = service.module_page(db.session, current_user, course_slug, module_slug)
    return render_template(
        "learning/module.html",
        page=page,
        body=service.module_html(page.version, current_user.network, staff=False),
    )


@bp.post("/learn/<course_slug>/<module_slug>/read")
@learner_required
def mark_read(course_slug: str, module_slug: str):
    page = service.module_page(db.session, current_user, course_slug, module_slug)
    service.mark_read(db.session, current_user, page)
    if page.next is not None:
        return redirect(url_for(".module", course_slug=course_slug, module_slug=page.next.slug))
    return redirect(url_for(".course", course_slug=course_slug, finished=1))
