from __future__ import annotations

import functools
from pathlib import Path

from flask import Flask, request, session
from flask_babel import Babel, get_locale, gettext
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from toetsbatterij.i18n import LANGUAGES, N_, is_rtl

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


@functools.cache
def available_languages() -> frozenset[str]:
    """The languages with a compiled catalog (read once per process: asked on every page)."""
    return frozenset({"nl"} | {p.parent.parent.name
                               for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.mo")})


# The blueprints of the candidate's pages (the exam screens, the score report, the survey, the
# public complaint form).
CANDIDATE_BLUEPRINTS = {"candidate", "report", "survey", "complaint_public"}


def _locale() -> str:
    # Staff screens are Dutch. A candidate's instructions follow the instruction language of the
    # registration when a catalog exists for it (otherwise Dutch); the test content stays Dutch.
    if request.blueprint in CANDIDATE_BLUEPRINTS:
        lang = session.get("lang", "nl")
        if lang in available_languages():
            return lang
    return "nl"


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "staff.login"
    login_manager.login_message = N_("Meld u aan om deze pagina te bekijken.")
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "info"
    # Who is logged in comes from the server-side login session named by the tb_login cookie
    # (web/auth.py), never from the Flask session: no user id is stored there.
    login_manager.session_protection = None
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    babel.init_app(app, locale_selector=_locale)

    @login_manager.user_loader
    def _ignore_session_user(_user_id: str) -> None:
        return None  # an old cookie's user id in the Flask session authenticates nobody

    @login_manager.request_loader
    def _load(_request):  # type: ignore[no-untyped-def]
        from toetsbatterij.web.auth import load_staff_user

        return load_staff_user()

    @app.context_processor
    def _inject() -> dict:
        return {"request_path": request.path, "get_locale": get_locale,
                "text_direction": lambda: "rtl" if is_rtl(str(get_locale())) else "ltr",
                "instruction_languages": LANGUAGES}
