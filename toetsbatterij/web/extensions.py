from __future__ import annotations

from flask import Flask, request
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


def _locale() -> str:
    # Staff screens are Dutch. Candidate instructions in other languages come with the companion
    # issue; the catalog layout (toetsbatterij/translations) is ready for them.
    return "nl"


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "staff.login"
    login_manager.login_message = "Meld u aan om deze pagina te bekijken."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "../translations")
    babel.init_app(app, locale_selector=_locale)

    @login_manager.user_loader
    def _load(user_id: str):  # type: ignore[no-untyped-def]
        from toetsbatterij.web.auth import load_staff_user

        return load_staff_user(user_id)

    @app.context_processor
    def _inject() -> dict:
        return {"request_path": request.path}
