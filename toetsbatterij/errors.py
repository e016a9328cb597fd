"""Domain errors. Services raise these; the web layer maps them to HTTP in one place.

``message`` is the Dutch text shown to the person (candidate or staff member), marked with
``N_`` so it is extracted into the catalogs; the web layer translates it (``msgid`` with its
``params``) at its boundary. ``detail`` is an English note for logs.
"""

from __future__ import annotations

from typing import Any

from toetsbatterij.i18n import N_


class ConfigurationError(RuntimeError):
    """Invalid or incomplete configuration: fail at start-up, never at request time."""


class DomainError(Exception):
    http_status = 400
    default_message = N_("Deze actie is niet mogelijk.")
    #: The unit of work rolls back when a service raises, except for errors whose flushed side
    #: effects are the point (a counted failed login): those commit what was flushed.
    keeps_changes = False

    def __init__(self, message: str | None = None, *, detail: str = "",
                 params: dict[str, Any] | None = None) -> None:
        self.msgid = message or self.default_message
        self.params = dict(params or {})
        self.message = self.msgid % self.params if self.params else self.msgid
        self.detail = detail
        super().__init__(detail or self.message)


class InvalidInput(DomainError):
    http_status = 400
    default_message = N_("De ingevulde gegevens zijn niet geldig.")

    def __init__(self, message: str | None = None, *, field: str | None = None,
                 detail: str = "", params: dict[str, Any] | None = None) -> None:
        super().__init__(message, detail=detail, params=params)
        self.field = field


class NotAuthenticated(DomainError):
    http_status = 401
    default_message = N_("U bent niet aangemeld.")


class LoginFailed(DomainError):
    http_status = 401
    default_message = N_("Aanmelden is niet gelukt. Controleer uw gegevens.")
    keeps_changes = True  # the failure count (throttling) must survive the error


class LoginThrottled(DomainError):
    http_status = 429
    default_message = N_("Te veel mislukte pogingen. Probeer het over enkele minuten opnieuw.")
    keeps_changes = True


class Forbidden(DomainError):
    http_status = 403
    default_message = N_("U hebt geen toegang tot deze pagina.")


class NotFound(DomainError):
    http_status = 404
    default_message = N_("Deze pagina of dit gegeven bestaat niet.")


class Conflict(DomainError):
    http_status = 409
    default_message = N_("Deze actie botst met de huidige toestand.")


class SessionNotOpen(Conflict):
    default_message = N_("De toetssessie is nog niet geopend of is al afgelopen.")


class DeviceInUse(Conflict):
    default_message = N_(
        "U bent al aangemeld op een ander toestel. Vraag de toetsbegeleider om u vrij te geven."
    )


class AttemptPaused(Conflict):
    default_message = N_("De toets is gepauzeerd. Wacht op de toetsbegeleider.")


class DeadlinePassed(Conflict):
    default_message = N_("De tijd voor dit onderdeel is voorbij.")
