"""Domain errors and HTTP errors to responses: in one place. Dutch pages, JSON for fetch calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from toetsbatterij.errors import DomainError
from toetsbatterij.i18n import N_
from toetsbatterij.web.unit_of_work import mark_failed

HTTP_MESSAGES = {
    400: (N_("Ongeldige aanvraag"), N_("De aanvraag kon niet verwerkt worden.")),
    401: (N_("Niet aangemeld"), N_("U moet eerst aanmelden.")),
    403: (N_("Geen toegang"), N_("U hebt geen toegang tot deze pagina.")),
    404: (N_("Niet gevonden"), N_("Deze pagina bestaat niet.")),
    405: (N_("Niet toegestaan"), N_("Deze actie is hier niet toegestaan.")),
    409: (N_("Niet mogelijk"), N_("Deze actie botst met de huidige toestand.")),
    413: (N_("Te groot"), N_("Het bestand is te groot.")),
    429: (N_("Even wachten"), N_("Te veel pogingen. Probeer het later opnieuw.")),
    500: (N_("Er ging iets mis"), N_("Er ging iets mis op de server. Uw antwoorden zijn bewaard. "
                                     "Verwittig de toetsbegeleider.")),
}


#: Where an app keeps the path prefixes whose errors another renderer answers (the partner
#: API: problem+json, never a page): ``render(status, message, exc)``.
RENDERERS = "toetsbatterij.error_renderers"
Renderer = Callable[[int, "str | None", "BaseException | None"], Any]


def register_renderer(app: Flask, prefix: str, render: Renderer) -> None:
    app.extensions.setdefault(RENDERERS, {})[prefix] = render


def wants_json() -> bool:
    return (request.path.endswith(".json") or request.is_json
            or request.accept_mimetypes.best == "application/json")


def translate_error(exc: DomainError) -> str:
    """The one place a domain error's Dutch msgid becomes text in the request's language."""
    return gettext(exc.msgid, **exc.params)


def error_response(status: int, message: str | None = None,  # type: ignore[no-untyped-def]
                   exc: BaseException | None = None):
    """``message`` is already translated; the titles and defaults are translated here."""
    for prefix, render in current_app.extensions.get(RENDERERS, {}).items():
        if request.path.startswith(prefix):
            return render(status, message, exc)
    title, default = HTTP_MESSAGES.get(status, HTTP_MESSAGES[500 if status >= 500 else 400])
    title = gettext(title)
    text = message or gettext(default)
    if wants_json():
        return jsonify({"error": text, "status": status}), status
    return render_template("error.html", title=title, message=text, status=status), status


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):  # type: ignore[no-untyped-def]
        mark_failed(exc)
        return error_response(exc.http_status, translate_error(exc), exc)

    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError):  # type: ignore[no-untyped-def]
        mark_failed()
        return error_response(400, gettext("Het formulier is verlopen of ongeldig. Laad de "
                                           "pagina opnieuw en probeer nog eens."))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
        mark_failed()
        return error_response(exc.code or 500, None, exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        mark_failed()
        if app.testing:
            raise exc
        app.logger.exception("unhandled error", exc_info=exc)
        return error_response(500)
