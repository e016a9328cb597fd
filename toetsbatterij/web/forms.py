"""The staff forms (Flask-WTF: CSRF, the typed input kept on a refusal, errors beside fields).

The services stay the one place that validates the domain (a national number's checksum, a
duplicate candidate, a password's length, a session's window); they raise domain errors that
name the ``field``. :func:`submit` runs a service call for a submitted form inside a savepoint;
a refusal undoes what the call flushed, marks the request failed (the unit of work rolls
back) and puts the Dutch message beside its field, so the view re-renders the page with what
was typed and status 400, never a dead-end error page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired

from toetsbatterij.accounts.models import (
    ROLE_ADMIN,
    ROLE_PROCTOR,
    ROLE_PSYCHOMETRICIAN,
    ROLE_RATER,
)
from toetsbatterij.delivery import accommodations
from toetsbatterij.errors import Conflict, DomainError, InvalidInput
from toetsbatterij.web.context import db
from toetsbatterij.web.errors import translate_error
from toetsbatterij.web.unit_of_work import mark_failed

T = TypeVar("T")

# Least privilege first: a new account is a rater unless the admin chooses more.
ROLE_CHOICES = (ROLE_RATER, ROLE_PROCTOR, ROLE_PSYCHOMETRICIAN, ROLE_ADMIN)
DEFAULT_ROLE = ROLE_RATER
CONFIRM_MESSAGE = _l("Vink aan dat u dit wilt doen.")


def _number(low: int, high: int, **extra: str) -> dict[str, str]:
    return {"type": "number", "min": str(low), "max": str(high), "inputmode": "numeric", **extra}


class StaffForm(FlaskForm):
    """A staff form reads what an HTML form posts. Flask-WTF would also read a JSON body as the
    form, and a JSON body that is not an object (``false``, ``[1]``) would then be a 500."""

    class Meta:
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            if request.is_json and not isinstance(request.get_json(silent=True), dict):
                return None
            return FlaskForm.Meta.wrap_formdata(self, form, formdata)


class LoginForm(StaffForm):
    email = EmailField(validators=[InputRequired(_l("Geef uw e-mailadres."))],
                       render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(validators=[InputRequired(_l("Geef uw wachtwoord."))],
                             render_kw={"autocomplete": "current-password"})


class SessionForm(StaffForm):
    # Choices are filled by the view; the service decides (another agency's room is NotFound).
    # Ids stay text here; the view parses them range-checked (web.ids: a 404 when one cannot
    # exist, also for digits that int() would accept, such as "٣").
    location_id = SelectField(coerce=str, validate_choice=False)
    test_definition_id = SelectField(coerce=str, validate_choice=False)
    date = StringField(validators=[InputRequired(_l("Geef de datum."))],
                       render_kw={"type": "date"})
    start = StringField(validators=[InputRequired(_l("Geef het beginuur."))],
                        render_kw={"type": "time"})
    end = StringField(validators=[InputRequired(_l("Geef het einduur."))],
                      render_kw={"type": "time"})

    FIELD_OF = {"ends_at": "end", "starts_at": "start"}


class AccommodationFields:
    """The accommodations, shared by the registration and the change form."""

    extra_time_percent = StringField(default="0", render_kw=_number(
        0, accommodations.MAX_EXTRA_TIME_PERCENT))
    larger_text = BooleanField()
    extra_audio_plays = SelectField(choices=[SelectChoice("0", "0"), SelectChoice("1", "+1"),
                                             SelectChoice("2", "+2")], default="0")
    speaking_prep_percent = StringField(default="0", render_kw=_number(
        0, accommodations.MAX_SPEAKING_PREP_PERCENT))

    def accommodation_values(self) -> dict[str, object]:
        return {name: getattr(self, name).data for name in accommodations.FIELDS}


class CandidateForm(StaffForm, AccommodationFields):
    first_name = StringField(render_kw={"required": True, "maxlength": "100",
                                        "autocomplete": "off"})
    last_name = StringField(render_kw={"required": True, "maxlength": "100",
                                       "autocomplete": "off"})
    birth_date = StringField(render_kw={"type": "date", "required": True})
    id_kind = SelectField(default="rrn")
    id_number = StringField(render_kw={"required": True, "autocomplete": "off"})
    id_country = StringField(render_kw={"maxlength": "2"})
    instruction_language = SelectField(default="nl", validate_choice=False)
    # the purpose profiles of the attest rules in force (set by the view)
    purpose = SelectField(default="")

    FIELD_OF: Mapping[str, str] = {}


class AccommodationsForm(StaffForm, AccommodationFields):
    FIELD_OF: Mapping[str, str] = {}


class CsvImportForm(StaffForm):
    file = FileField(validators=[FileRequired(_l("Kies een CSV-bestand."))],
                     render_kw={"accept": ".csv,text/csv"})


class LocationForm(StaffForm):
    name = StringField(render_kw={"required": True, "maxlength": "200"})
    address = StringField(render_kw={"maxlength": "300"})
    capacity = StringField(default="20", render_kw=_number(1, 500))


class StaffAccountForm(StaffForm):
    display_name = StringField(render_kw={"required": True, "maxlength": "200"})
    email = EmailField(render_kw={"required": True, "autocomplete": "off"})
    role = SelectField(default=DEFAULT_ROLE, validate_choice=False)
    password = PasswordField(render_kw={"required": True, "autocomplete": "new-password"})


class IncidentForm(StaffForm):
    candidate_id = SelectField(default="", validate_choice=False)
    code = SelectField(validate_choice=False)
    # The service checks the length (and the characters) with its Dutch message.
    note = TextAreaField(render_kw={"rows": "2", "maxlength": "2000"})


class ExtraTimeForm(StaffForm):
    minutes = StringField(default="5", validators=[InputRequired(_l("Geef het aantal minuten."))],
                          render_kw=_number(1, 120))


class ConfirmForm(StaffForm):
    """A step that must be confirmed (release a device, pause the whole room): without the
    ticked box the server refuses."""

    confirm = BooleanField(validators=[InputRequired(CONFIRM_MESSAGE)])


class EndAttemptForm(ConfirmForm):
    reason = StringField(validators=[InputRequired(_l("Geef een reden op."))],
                         render_kw={"maxlength": "1000"})


class RatingForm(StaffForm):
    """The rating screen: the criteria's radio groups (``c.<criterion>``) and the code are read
    by the view, the service checks them against the rubric."""

    action = StringField(default="draft")  # draft | submit


class AdmissionForm(StaffForm):
    rater_id = SelectField(validate_choice=False)  # parsed by the view (web.ids)
    skill = SelectField(validate_choice=False)
    decision = SelectField(validate_choice=False)
    reason = StringField(validators=[InputRequired(_l("Geef een reden op."))],
                         render_kw={"maxlength": "1000"})


class CalibrationSetForm(StaffForm):
    name = StringField(render_kw={"required": True, "maxlength": "200"})
    skill = SelectField(validate_choice=False)
    rubric_id = StringField(render_kw={"maxlength": "40"})


class ReferenceForm(StaffForm):
    """Promote a resolved production (``task_id``, parsed by the view) to a reference."""

    label = StringField(render_kw={"maxlength": "200"})
class IssueAttestForm(StaffForm):
    result_id = StringField(validators=[InputRequired(_l("Kies een resultaat."))])


class RevocationForm(StaffForm):
    reason = TextAreaField(validators=[InputRequired(_l("Geef een reden op."))],
                           render_kw={"rows": "3", "maxlength": "1000", "required": True})


class AttestRulesForm(StaffForm):
    document = TextAreaField(validators=[InputRequired(_l("Geef de regels."))],
                             render_kw={"rows": "30", "spellcheck": "false"})
    effective_from = StringField(validators=[InputRequired(_l("Geef een datum."))],
                                 render_kw={"type": "date", "required": True})
    note = StringField(render_kw={"maxlength": "500"})


class PersonForm(StaffForm):
    """A person across sessions (``persons.service``: the identity is checked as for a
    candidate)."""

    first_name = StringField(render_kw={"required": True, "maxlength": "100",
                                        "autocomplete": "off"})
    last_name = StringField(render_kw={"required": True, "maxlength": "100",
                                       "autocomplete": "off"})
    birth_date = StringField(render_kw={"type": "date", "required": True})
    id_kind = SelectField(default="rrn", validate_choice=False)
    id_number = StringField(render_kw={"required": True, "autocomplete": "off"})
    id_country = StringField(render_kw={"maxlength": "2"})
    email = StringField(render_kw={"type": "email", "maxlength": "200", "autocomplete": "off"})
    phone = StringField(render_kw={"type": "tel", "maxlength": "40", "autocomplete": "off"})
    instruction_language = SelectField(default="nl", validate_choice=False)

    FIELD_OF: Mapping[str, str] = {}


class TrajectoryForm(StaffForm):
    kind = SelectField(default="obliged", validate_choice=False)
    legal_ground = TextAreaField(render_kw={"rows": "2", "maxlength": "500"})
    start_date = StringField(validators=[InputRequired(_l("Geef de begindatum."))],
                             render_kw={"type": "date", "required": True})
    counsellor_id = SelectField(default="", validate_choice=False)  # parsed by the view
    mo = BooleanField(default=True)
    nt2 = BooleanField(default=True)
    career = BooleanField(default=False)
    participation = BooleanField(default=False)

    FIELD_OF: Mapping[str, str] = {"components": "mo"}


class ComponentForm(StaffForm):
    """The details of one component; which fields count depends on its kind (the service)."""

    course = StringField(render_kw={"maxlength": "200"})
    attendance_percent = StringField(render_kw=_number(0, 100))
    assessment = TextAreaField(render_kw={"rows": "3", "maxlength": "2000"})
    provider_type = SelectField(default="", validate_choice=False)
    provider_name = StringField(render_kw={"maxlength": "200"})
    course_level = SelectField(default="", validate_choice=False)
    goal_level = SelectField(default="A2", validate_choice=False)
    description = TextAreaField(render_kw={"rows": "3", "maxlength": "2000"})


class ComponentEventForm(StaffForm):
    status = SelectField(validate_choice=False)
    occurred_on = StringField(validators=[InputRequired(_l("Geef de datum."))],
                              render_kw={"type": "date", "required": True})
    note = StringField(render_kw={"maxlength": "1000"})


class AddComponentForm(StaffForm):
    kind = SelectField(validate_choice=False)


class LinkAttestForm(StaffForm):
    attest_id = SelectField(validate_choice=False)  # parsed by the view (web.ids)


class TransferForm(StaffForm):
    to_organisation_id = SelectField(validate_choice=False)  # parsed by the view
    reason = TextAreaField(validators=[InputRequired(_l("Geef een reden op."))],
                           render_kw={"rows": "2", "maxlength": "1000", "required": True})
    confirm = BooleanField(validators=[InputRequired(CONFIRM_MESSAGE)])


class CloseTrajectoryForm(StaffForm):
    reason = TextAreaField(validators=[InputRequired(_l("Geef een reden op."))],
                           render_kw={"rows": "2", "maxlength": "1000", "required": True})


class DeclarationForm(StaffForm):
    """The declaration of effort: the documented decision is required."""

    reason = TextAreaField(validators=[InputRequired(_l("Beschrijf de beslissing."))],
                           render_kw={"rows": "4", "maxlength": "2000", "required": True})
    confirm = BooleanField(validators=[InputRequired(CONFIRM_MESSAGE)])


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as the options of a SelectField."""
    return [SelectChoice(value, label) for value, label in pairs]


def whole_number(form: FlaskForm, name: str) -> int:
    """A whole number from a text field, or InvalidInput for that field."""
    try:
        return int(str(getattr(form, name).data or "").strip())
    except ValueError:
        raise InvalidInput("Geef een geheel getal.", field=name) from None


def add_error(form: FlaskForm, exc: DomainError) -> None:
    """Put a domain error's message beside the field it names (``FIELD_OF`` maps a service's
    field name onto the form's), or above the form."""
    name = getattr(exc, "field", None)
    name = getattr(form, "FIELD_OF", {}).get(name, name) if name else None
    field = form._fields.get(name) if name else None
    message = translate_error(exc)
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)


def submit(form: FlaskForm, action: Callable[[], T]) -> tuple[bool, T | None]:
    """Run ``action`` (the service call) for a submitted, valid form; returns (done, result).

    On a refusal (an invalid form, or InvalidInput / Conflict from the service) it returns
    (False, None): what the call flushed is undone, the request is marked failed and the
    message is on the form. Other domain errors (NotFound, Forbidden) go to the error handler
    as before."""
    if not form.validate_on_submit():
        mark_failed()
        form.refusal_status = 400
        return False, None
    try:
        with db().begin_nested():
            return True, action()
    except (InvalidInput, Conflict) as exc:
        mark_failed(exc)
        add_error(form, exc)
        form.refusal_status = exc.http_status  # 400, or 409 for a conflict (session ended)
        return False, None


def status(form: FlaskForm) -> int:
    """The status of a page that shows ``form``: 200, or the status of its refusal."""
    return int(getattr(form, "refusal_status", 200))


class ResultFilterForm(StaffForm):
    """The filters of the results lists: read from the query string (a GET form, no CSRF)."""

    class Meta:
        csrf = False

    sessie = SelectField(default="", validate_choice=True)
    van = StringField(default="", render_kw={"type": "date"})
    tot = StringField(default="", render_kw={"type": "date"})
    vaardigheid = SelectField(default="", validate_choice=True)
    niveau = SelectField(default="", validate_choice=True)
    status = SelectField(default="current", validate_choice=True)
