"""The satisfaction survey on the candidate's screen after the test: optional, in the candidate's
language, a smiley scale, read aloud, by keyboard. Thin views over ``toetsbatterij.surveys``;
the staff side is in ``web/monitoring.py``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from toetsbatterij.errors import InvalidInput, NotAuthenticated
from toetsbatterij.surveys import service
from toetsbatterij.surveys.questions import QUESTIONS, SCALE
from toetsbatterij.web.candidate import _attempt
from toetsbatterij.web.context import clock, db

bp = Blueprint("survey", __name__)


def _tz() -> str:
    return str(current_app.config["TIMEZONE"])


# -- candidate ---------------------------------------------------------------------------------


@bp.get("/toets/vragenlijst")
def survey_form() -> Any:
    try:
        attempt = _attempt()
    except NotAuthenticated:
        return redirect(url_for("candidate.login"))
    if not service.is_open(db(), attempt):
        return redirect(url_for("candidate.screen"))
    return render_template("candidate/survey.html", questions=QUESTIONS, scale=SCALE,
                           answers={}, errors={})


@bp.post("/toets/vragenlijst")
def survey_submit() -> Any:
    attempt = _attempt()
    if request.form.get("action") == "skip":
        service.decline(db(), clock(), attempt, tz=_tz())
    else:
        try:
            service.answer(db(), clock(), attempt, request.form, tz=_tz())
        except InvalidInput as exc:
            answers = {k: request.form.get(k, "") for k, _ in QUESTIONS}
            return Response(render_template(
                "candidate/survey.html", questions=QUESTIONS, scale=SCALE, answers=answers,
                errors={exc.field: exc.msgid}), status=400)
    return redirect(url_for("candidate.screen", bedankt=1))
