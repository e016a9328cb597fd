"""Domain errors and HTTP errors to responses: in one place. Dutch pages, JSON for fetch calls."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from toetsbatterij.errors import DomainError

HTTP_MESSAGES = {
    400: ("Ongeldige aanvraag", "De aanvraag kon niet verwerkt worden."),
    401: ("Niet aangemeld", "U moet eerst aanmelden."),
    403: ("Geen toegang", "U hebt geen toegang tot deze pagina."),
    404: ("Niet gevonden", "Deze pagina bestaat niet."),
    405: ("Niet toegestaan", "Deze actie is hier niet toegestaan."),
    409: ("Niet mogelijk", "Deze actie botst met de huidige toestand."),
    413: ("Te groot", "Het bestand is te groot."),
    429: ("Even wachten", "Te veel pogingen. Probeer het later opnieuw."),
    500: ("Er ging iets mis", "Er ging iets mis op de server. Uw antwoorden zijn bewaard. "
          "Verwittig de toetsbegeleider."),
}


def wants_json() -> bool:
    return (request.path.endswith(".json") or request.is_json
            or request.accept_mimetypes.best == "application/json")


def error_response(status: int, message: str | None = None):  # type: ignore[no-untyped-def]
    title, default = HTTP_MESSAGES.get(status, HTTP_MESSAGES[500 if status >= 500 else 400])
    text = message or default
    if wants_json():
        return jsonify({"error": text, "status": status}), status
    return render_template("error.html", title=title, message=text, status=status), status


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):  # type: ignore[no-untyped-def]
        return error_response(exc.http_status, exc.message)

    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError):  # type: ignore[no-untyped-def]
        return error_response(400, "Het formulier is verlopen of ongeldig. Laad de pagina "
                                   "opnieuw en probeer nog eens.")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
        return error_response(exc.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        if app.testing:
            raise exc
        app.logger.exception("unhandled error", exc_info=exc)
        return error_response(500)
