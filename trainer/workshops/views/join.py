"""The participant's side: /join/<code> from the projector's QR code, then one page that follows
the phases. No password: the phone remembers whom it joined as in the signed session cookie,
with a random secret that binds the seat to this phone (seats.py)."""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from trainer import rate_limits
from trainer.accounts.models import AgeBand, Gender, JobType
from trainer.certificates import pages
from trainer.certificates import service as certificates
from trainer.content.placeholders import fill_text
from trainer.errors import DomainError, NotFound
from trainer.extensions import client_address, db, limiter
from trainer.quizzes.attempts import needs_attributes, save_attributes
from trainer.quizzes.score_summary import score_summary
from trainer.web import show_error
from trainer.workshops import (
    answering,
    codes,
    creating,
    explanations,
    phase_poll,
    seats,
    survey,
    test_fragments,
)
from trainer.workshops.forms import JoinForm
from trainer.workshops.models import DeviceStatus, Participant, Phase, Workshop

bp = Blueprint("join", __name__, url_prefix="/join")

# Wrong codes are what a guesser sends: 30 a minute from one address. Right codes never count
# there, and a hall of 2,000 phones behind one address (NAT) has its own, generous ceiling for
# the joins themselves (a POST each, and one more for a form sent back with a mistake).
WRONG_CODE_LIMIT = "30 per minute"
JOIN_LIMIT = "6000 per 10 minutes"
SESSION_KEY = "workshop_participants"
WAITING_KEY = "workshop_waiting"  # {workshop id: ParticipantDevice id} while the trainer decides
DEVICE_KEY = "device"  # this phone's secret: only its SHA-256 is stored (ParticipantDevice)
LINK_AGAIN = "個人用リンクでの参加は、リンクを開き直してからお試しください。"


def _unknown_code(_response) -> bool:
    """The request named a code no workshop has (set by _workshop): a guess, or a typo."""
    return bool(g.get("unknown_join_code"))


def _known_here() -> bool:
    """The code in the URL already worked from this address today.

    Flask-Limiter checks a bucket before the view runs, so 30 typos a minute in a hall would
    refuse the next phone its room's right code. A code that worked here before is exempt;
    one that did not is refused while the bucket is full, right or wrong, without being looked
    up, so a guesser who filled the bucket cannot tell a right code by its answer (a code is 6
    of 18 characters: its limit, not its length, keeps it from being guessed).
    """
    if "join_code_known" not in g:
        code = codes.normalise((request.view_args or {}).get("code", ""))
        g.join_code_known = codes.is_well_formed(code) and rate_limits.remembered(
            codes.KNOWN_CODE, client_address(), code
        )
    return bool(g.join_code_known)


# Every /join/<code>… route counts unknown codes in one bucket: a guess through any of them counts.
wrong_code_limit = limiter.shared_limit(
    WRONG_CODE_LIMIT, scope="join-code", deduct_when=_unknown_code, exempt_when=_known_here
)


def _joined_id(workshop: Workshop) -> int | None:
    return _joined_id_in(workshop.id)


def _joined_id_in(workshop_id: int) -> int | None:
    return (session.get(SESSION_KEY) or {}).get(str(workshop_id))


def _remember(participant: Participant) -> None:
    joined = dict(session.get(SESSION_KEY) or {})
    joined[str(participant.workshop_id)] = participant.id
    session[SESSION_KEY] = joined
    _forget_waiting(participant.workshop_id)
    session.permanent = True  # survives the phone's browser being closed during the break


def _device_secret() -> str:
    """This phone's secret, made on its first join and kept for as long as its session."""
    secret = session.get(DEVICE_KEY)
    if not isinstance(secret, str) or len(secret) < 32:
        secret = secrets.token_urlsafe(32)
        session[DEVICE_KEY] = secret
        session.permanent = True
    return secret


def _waiting_id(workshop: Workshop) -> int | None:
    return (session.get(WAITING_KEY) or {}).get(str(workshop.id))


def _remember_waiting(workshop: Workshop, device_id: int) -> None:
    waiting = dict(session.get(WAITING_KEY) or {})
    waiting[str(workshop.id)] = device_id
    session[WAITING_KEY] = waiting
    session.permanent = True


def _forget_waiting(workshop_id: int) -> None:
    waiting = dict(session.get(WAITING_KEY) or {})
    if waiting.pop(str(workshop_id), None) is not None:
        session[WAITING_KEY] = waiting


def _workshop(code: str) -> Workshop:
    try:
        return creating.by_code(db.session, code)
    except NotFound:
        g.unknown_join_code = True  # counted by wrong_code_limit
        raise


def _seat_of(workshop: Workshop) -> Participant:
    return seats.seat_of(db.session, workshop, _joined_id(workshop), session.get(DEVICE_KEY))


def _participant(code: str) -> tuple[Workshop, Participant]:
    workshop = _workshop(code)
    return workshop, _seat_of(workshop)


def _learner_of(workshop: Workshop):
    """The member this phone is signed in as with a personal link, if in this network."""
    signed_in = current_user.is_authenticated and not getattr(current_user, "is_staff", True)
    if signed_in and current_user.network_id == workshop.network_id:
        return current_user
    return None


@bp.get("/")
def enter():
    typed = request.args.get("code")
    if typed is not None:
        return redirect(url_for(".join", code=codes.normalise(typed) or "-"))
    return render_template("workshops/join/enter.html", error=None, code="")


@bp.route("/<code>", methods=["GET", "POST"])
@wrong_code_limit
@limiter.limit(JOIN_LIMIT, methods=["POST"])
def join(code: str):
    try:
        workshop = _workshop(code)
    except NotFound as error:
        return render_template("workshops/join/enter.html", error=error.message, code=code), 404
    if not _known_here():
        rate_limits.remember(codes.KNOWN_CODE, client_address(), workshop.join_code)
    if code != workshop.join_code:
        return redirect(url_for(".join", code=workshop.join_code))
    if _joined_id(workshop) and request.method == "GET":
        return redirect(url_for(".me", code=workshop.join_code))
    if _waiting_id(workshop) and request.method == "GET":
        return redirect(url_for(".wait", code=workshop.join_code))
    reason = seats.join_closed_reason(workshop)
    if reason:
        return render_template("workshops/join/closed.html", workshop=workshop, reason=reason), 410
    form = JoinForm()
    form.set_choices(seats.invited_organisations(db.session, workshop))
    learner = _learner_of(workshop)
    if request.method == "POST" and (request.form.get("as_member") or form.validate()):
        try:
            if request.form.get("as_member"):
                if learner is None:
                    raise DomainError(LINK_AGAIN)
                joined: seats.Joined = seats.Seated(
                    seats.join_as_member(
                        db.session, workshop=workshop, member=learner, secret=_device_secret()
                    )
                )
            else:
                joined = seats.join(
                    db.session,
                    workshop=workshop,
                    organisation_id=form.organisation_id.data,
                    name=form.name.data or "",  # the form requires it
                    kana=form.kana.data or "",
                    secret=_device_secret(),
                )
        except DomainError as error:
            show_error(form, error)
        else:
            if isinstance(joined, seats.Waiting):
                _remember_waiting(workshop, joined.device.id)
                return redirect(url_for(".wait", code=workshop.join_code))
            _remember(joined.participant)
            return redirect(url_for(".me", code=workshop.join_code))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "workshops/join/join.html", workshop=workshop, form=form, learner=learner
    ), status


def _seat_key() -> str:
    return str(current_app.config["SECRET_KEY"])


@bp.get("/<code>/state")
@limiter.exempt
def state(code: str):
    """What a joined phone polls every 3 s: the phase, and over how long a room this size should
    spread its reloads when it changes (phase_poll.py: from a cache, with a 304 until the phase
    changes). Only for a phone that joined this workshop — its page's poll URL carries a seat
    token; a page from before seat tokens is checked against the session — and anyone else
    gets the same 404 whether the code exists or not, so this needs no rate limit (it is the
    most frequent request in a room) and tells a guesser nothing."""
    polled = phase_poll.seated_state(
        db.session,
        code,
        seat=request.args.get("seat"),  # with one, the session was not even opened
        key=_seat_key(),
        in_session=lambda workshop_id: _joined_id_in(workshop_id) is not None,
    )
    if polled is None:
        return jsonify(error="not found"), 404
    if request.if_none_match.contains(polled.phase):
        response = current_app.response_class(status=304)
    else:
        response = jsonify(polled.as_json())
    response.set_etag(polled.phase)
    response.headers["Cache-Control"] = "no-cache, private"
    return response


@bp.get("/<code>/me")
@wrong_code_limit
def me(code: str):
    try:
        workshop, participant = _participant(code)
    except NotFound as error:
        return render_template("workshops/join/enter.html", error=error.message, code=code), 404
    shown = answering.phone_state(db.session, participant)
    open_test = shown.open_test
    post = shown.post if shown.post and shown.post.status == "submitted" else None
    facts: dict[str, str | None] = dict(workshop.network.local_facts())
    return render_template(
        "workshops/join/me.html",
        workshop=workshop,
        participant=participant,
        phase=shown.phase,
        poll_url=url_for(
            ".state",
            code=workshop.join_code,
            seat=phase_poll.seat_token(_seat_key(), workshop.id, participant.id),
        ),
        Phase=Phase,
        tests=shown.tests,
        open_test=open_test,
        items=test_fragments.test_items(db.session, open_test[1], facts) if open_test else [],
        pre=shown.pre,
        post=shown.post,
        certificate=certificates.for_attempt(db.session, shown.post.id) if shown.post else None,
        post_score=score_summary(db.session, post) if post else None,
        explanations=explanations.explained_questions(db.session, post)
        if post and explanations.shown(workshop, post)
        else [],
        feedback=survey.feedback_of(db.session, participant),
        survey=survey,
        local=lambda text: fill_text(text, facts),
        # Asked while waiting (never during a test), once per member, as the learner pages do:
        # the report's breakdowns by age band, gender and job type need it.
        ask_attributes=open_test is None
        and shown.phase is not Phase.CLOSED
        and needs_attributes(participant.member),
        attribute_choices={"age_band": AgeBand, "gender": Gender, "job_type": JobType},
    )


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


@bp.post("/<code>/answers/<quiz_phase>")
@wrong_code_limit
def answers(code: str, quiz_phase: str):
    workshop = _workshop(code)  # an unknown code is a 404 (and counts as a guess)
    try:
        participant = _seat_of(workshop)
        submit = request.form.get("action") == "submit"
        attempt = answering.answer(
            db.session,
            participant=participant,
            quiz_phase=quiz_phase,
            form=request.form,
            submit=submit,
        )
    except DomainError as error:
        status = 404 if isinstance(error, NotFound) else 409
        if _wants_json():
            return jsonify(error=error.message), status
        flash(error.message, "error")
        return redirect(url_for(".me", code=workshop.join_code))
    if _wants_json():
        return jsonify(saved=True, status=attempt.status)
    if attempt.status != "submitted":
        flash("ここまでの回答を保存しました。", "success")
    return redirect(url_for(".me", code=workshop.join_code))


@bp.post("/<code>/feedback")
@wrong_code_limit
def feedback(code: str):
    workshop = _workshop(code)
    try:
        participant = _seat_of(workshop)
        survey.save_feedback(
            db.session,
            participant=participant,
            satisfaction=request.form.get("satisfaction", ""),
            understanding=request.form.get("understanding", ""),
            comment=request.form.get("comment", ""),
        )
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".me", code=workshop.join_code))
    flash("アンケートにご協力いただき、ありがとうございました。", "success")
    return redirect(url_for(".me", code=workshop.join_code))


@bp.post("/<code>/attributes")
@wrong_code_limit
def attributes(code: str):
    workshop = _workshop(code)
    try:
        participant = _seat_of(workshop)
        save_attributes(
            db.session,
            member=participant.member,
            age_band=request.form.get("age_band", ""),
            gender=request.form.get("gender", ""),
            job_type=request.form.get("job_type", ""),
        )
    except DomainError as error:
        flash(f"{error.message}（年代・性別・職種）", "error")
        return redirect(url_for(".me", code=workshop.join_code))
    flash("ありがとうございました。", "success")
    return redirect(url_for(".me", code=workshop.join_code))


@bp.post("/<code>/leave")
@wrong_code_limit
def leave(code: str):
    """「別の人として参加し直す」: this phone forgets whom it joined as (nothing is deleted)."""
    workshop = _workshop(code)
    joined = dict(session.get(SESSION_KEY) or {})
    joined.pop(str(workshop.id), None)
    session[SESSION_KEY] = joined
    _forget_waiting(workshop.id)
    return redirect(url_for(".join", code=workshop.join_code))


def _waiting_request(workshop: Workshop):
    return seats.waiting_device(
        db.session, workshop, _waiting_id(workshop), session.get(DEVICE_KEY)
    )


@bp.get("/<code>/wait")
@wrong_code_limit
def wait(code: str):
    """A second phone that typed the name of someone already seated waits here for the trainer:
    it sees nothing of that seat (not the name's answers, not a certificate)."""
    try:
        workshop = _workshop(code)
        device = _waiting_request(workshop)
    except NotFound as error:
        return render_template("workshops/join/enter.html", error=error.message, code=code), 404
    if device.status == DeviceStatus.BOUND.value:
        _remember(device.participant)
        return redirect(url_for(".me", code=workshop.join_code))
    if device.status == DeviceStatus.REJECTED.value:
        _forget_waiting(workshop.id)
        return render_template(
            "workshops/join/wait.html",
            workshop=workshop,
            device=device,
            rejected=seats.REJECTED_HERE,
        ), 403
    response = make_response(
        render_template("workshops/join/wait.html", workshop=workshop, device=device, rejected=None)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<code>/wait/state")
def wait_state(code: str):
    """What the waiting page polls (as the phase poll): "waiting" until the trainer decides."""
    try:
        device = _waiting_request(_workshop(code))
    except NotFound:
        return jsonify(error="not found"), 404
    response = jsonify(phase=device.status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _certificate(code: str):
    workshop, participant = _participant(code)
    post = answering.workshop_attempt(db.session, participant, "post")
    certificate = certificates.for_attempt(db.session, post.id) if post else None
    # A pending certificate is not handed out as a sheet: printed, it would look valid.
    if certificate is None or certificate.is_pending:
        raise NotFound("修了証が見つかりません。")
    return workshop, certificate


@bp.get("/<code>/certificate")
@wrong_code_limit
def certificate(code: str):
    workshop, found = _certificate(code)
    return pages.render_print_view(
        found,
        url_for(".certificate_pdf", code=workshop.join_code),
        url_for(".me", code=workshop.join_code),
    )


@bp.get("/<code>/certificate.pdf")
@wrong_code_limit
def certificate_pdf(code: str):
    _, found = _certificate(code)
    return pages.certificate_pdf_response(found)
