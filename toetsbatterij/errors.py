"""Domain errors. Services raise these; the web layer maps them to HTTP in one place.

``message`` is the Dutch text shown to the person (candidate or staff member); ``detail``
is an English note for logs.
"""

from __future__ import annotations


class ConfigurationError(RuntimeError):
    """Invalid or incomplete configuration: fail at start-up, never at request time."""


class DomainError(Exception):
    http_status = 400
    default_message = "Deze actie is niet mogelijk."

    def __init__(self, message: str | None = None, *, detail: str = "") -> None:
        self.message = message or self.default_message
        self.detail = detail
        super().__init__(detail or self.message)


class InvalidInput(DomainError):
    http_status = 400
    default_message = "De ingevulde gegevens zijn niet geldig."

    def __init__(self, message: str | None = None, *, field: str | None = None,
                 detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.field = field


class NotAuthenticated(DomainError):
    http_status = 401
    default_message = "U bent niet aangemeld."


class LoginFailed(DomainError):
    http_status = 401
    default_message = "Aanmelden is niet gelukt. Controleer uw gegevens."


class LoginThrottled(DomainError):
    http_status = 429
    default_message = "Te veel mislukte pogingen. Probeer het over enkele minuten opnieuw."


class Forbidden(DomainError):
    http_status = 403
    default_message = "U hebt geen toegang tot deze pagina."


class NotFound(DomainError):
    http_status = 404
    default_message = "Deze pagina of dit gegeven bestaat niet."


class Conflict(DomainError):
    http_status = 409
    default_message = "Deze actie botst met de huidige toestand."


class SessionNotOpen(Conflict):
    default_message = "De toetssessie is nog niet geopend of is al afgelopen."


class DeviceInUse(Conflict):
    default_message = (
        "U bent al aangemeld op een ander toestel. Vraag de toetsbegeleider om u vrij te geven."
    )


class AttemptPaused(Conflict):
    default_message = "De toets is gepauzeerd. Wacht op de toetsbegeleider."


class DeadlinePassed(Conflict):
    default_message = "De tijd voor dit onderdeel is voorbij."
