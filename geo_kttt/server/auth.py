"""Login, logout, sessions, CSRF and roles: the Flask side of :mod:`geo_kttt.editing.accounts`.

Sessions are Flask's signed cookies (``HttpOnly``, ``SameSite=Lax``, ``Secure`` whenever the
request came over HTTPS, also behind a reverse proxy with ``GEO_KTTT_PROXIES``). A session
holds the account id, its stamp and the login time; it ends after ``SESSION_HOURS``, and at
once when the account is disabled, its password reset or the person logs out. Without a
secret key (``GEO_KTTT_SECRET_KEY_FILE``) login is off and every editing page says so.

Every form and every write is checked by Flask-WTF's CSRFProtect. Views declare the role
they need with :func:`requires`; one ``before_request`` refuses anonymous users (401) and
people without the role (403) before anything else runs, CSRF check included.
"""

from __future__ import annotations

import datetime as dt
import functools
import time

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect

from .. import settings
from ..editing import accounts
from ..editing.errors import EditingError
from ..editing.publish import generation
from ..editing.workspace import open_workspace, secret_key
from ..i18n import LANGS, t
from .common import reload_atlas

bp = Blueprint("auth", __name__)
csrf = CSRFProtect()
LOGGED_IN = "login"  # the pseudo-role of pages for any signed-in person
REFRESH_S = 2.0  # how often a process checks whether another one has published


class _Sessions(SecureCookieSessionInterface):
    """Signed cookie sessions that are ``Secure`` whenever the request came over HTTPS."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE") or request.is_secure)


@bp.record_once
def _setup(state) -> None:
    init_app(state.app)


def init_app(app) -> None:
    """Settings, the secret key, sessions, CSRF, the role check and the error pages."""
    for name in ("LAYERS_DIR", "DATA_DIR", "EDITING_DATABASE_URL", "EVIDENCE_DIR", "EVIDENCE_MAX_MB",
                 "SESSION_HOURS"):
        app.config.setdefault(name, settings.get(name))
    app.config.setdefault("LOGIN_DELAY_S", 0.5)
    key = secret_key(app.config.get("SECRET_KEY"))
    app.config.update(SECRET_KEY=key, EDITING_ENABLED=bool(key), SESSION_COOKIE_NAME="geo_kttt_session",
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=float(app.config["SESSION_HOURS"])),
                      WTF_CSRF_TIME_LIMIT=None)  # a form lives as long as the session
    # The body limit (MAX_UPLOAD_MB, 413 above it) and ProxyFix (PROXIES) are the app's own,
    # set once in server/hardening.py.
    app.session_interface = _Sessions()
    app.before_request(_load_user)  # before CSRFProtect's check: anonymous writes get 401, not 400
    csrf.init_app(app)
    for code in (401, 403, 409, 422, 429, 503):  # 413: server/hardening.py
        app.register_error_handler(code, _error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(EditingError, _editing_error)
    if key:
        workspace(app)  # numbered migrations applied at start


def workspace(app=None):
    """The editing workspace of the app (layers, reference data, atlas, database, evidence)."""
    app = app or current_app
    ext = app.extensions
    if "geo_kttt_editing" not in ext:
        c = app.config
        ws = open_workspace(layers_dir=c["LAYERS_DIR"], data_dir=c["DATA_DIR"], atlas=c["ATLAS"],
                            database_url=c["EDITING_DATABASE_URL"], evidence_dir=c["EVIDENCE_DIR"],
                            max_mb=c["EVIDENCE_MAX_MB"])
        ws.engine  # noqa: B018 - connect and migrate now, not on the first request
        ext["geo_kttt_editing"] = ws
    return ext["geo_kttt_editing"]


def requires(role: str):
    """Mark a view as needing ``role`` (or ``LOGGED_IN``); checked before CSRF and again here."""
    def wrap(view):
        @functools.wraps(view)
        def checked(*args, **kwargs):
            _check(role)
            return view(*args, **kwargs)
        checked.required_role = role
        return checked
    return wrap


def _check(role: str) -> None:
    if not current_app.config.get("EDITING_ENABLED"):
        abort(503, t("err_secret", _lang()))
    user = g.get("user")
    if user is None:
        abort(401, t("login_needed", _lang()))
    if role != LOGGED_IN and not user.has(role):
        abort(403, t("forbidden", _lang()))


def _lang() -> str:
    if "lang" not in g:
        lang = request.args.get("lang", current_app.config["LANG"])
        g.lang = lang if lang in LANGS else current_app.config["LANG"]
    return g.lang


def _load_user() -> None:
    """The signed-in account (``g.user``) or None; ends stale sessions; enforces view roles."""
    g.user = None
    app = current_app
    if app.config.get("EDITING_ENABLED"):
        _refresh_atlas(app)
        uid = session.get("uid")
        if uid is not None:
            at = session.get("at", 0)
            age = time.time() - at if isinstance(at, int | float) else float("inf")
            fresh = age < app.permanent_session_lifetime.total_seconds()
            g.user = accounts.session_user(workspace().engine, uid, session.get("stamp")) if fresh else None
            if g.user is None:
                session.clear()
    role = getattr(app.view_functions.get(request.endpoint), "required_role", None)
    if role:
        _check(role)


def _refresh_atlas(app) -> None:
    """Reopen the atlas when any process has published since this one last looked."""
    ext, now = app.extensions, time.monotonic()
    if now - ext.get("geo_kttt_edit_checked", 0.0) < REFRESH_S:
        return
    ext["geo_kttt_edit_checked"] = now
    gen = generation(workspace(app).engine)
    if ext.setdefault("geo_kttt_edit_generation", gen) != gen:
        ext["geo_kttt_edit_generation"] = gen
        reload_atlas(app)


def atlas_changed() -> None:
    """After publishing in this process: the rest of this request and the next ones read the new atlas."""
    reload_atlas(current_app)
    current_app.extensions["geo_kttt_edit_generation"] = generation(workspace().engine)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _error(e):
    code = getattr(e, "code", 500)
    message = e.description
    if _wants_json():
        return jsonify({"status": code, "error": e.name, "message": message}), code
    if code == 401 and current_app.config.get("EDITING_ENABLED"):
        return render_template("editing/login.html", error=message, next=_next(request.full_path)), 401
    return render_template("editing/error.html", code=code, message=message), code


def _csrf_error(e):
    e.description = t("err_csrf", _lang())
    if _wants_json():
        return jsonify({"status": 400, "error": "CSRF", "message": e.description}), 400
    return render_template("editing/error.html", code=400, message=e.description), 400


def _editing_error(e: EditingError):
    msg = e.text(_lang())
    if _wants_json():
        return jsonify({"status": e.http_status, "error": e.key, "message": msg}), e.http_status
    return render_template("editing/error.html", code=e.http_status, message=msg), e.http_status


def _next(target: str | None) -> str:
    """A local path to return to after login (never another site)."""
    target = (target or "").rstrip("?")
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; on success a fresh session and back to where the person was going."""
    if not current_app.config.get("EDITING_ENABLED"):
        abort(503, t("err_secret", _lang()))
    nxt = _next(request.values.get("next"))
    if request.method == "GET":
        return render_template("editing/login.html", next=nxt, error=None)
    try:
        user = accounts.authenticate(workspace().engine, request.form.get("username", ""),
                                     request.form.get("password", ""), ip=request.remote_addr or "")
    except EditingError as e:
        failures = e.params.get("failures", accounts.MAX_USER_FAILURES)
        time.sleep(min(float(current_app.config["LOGIN_DELAY_S"]) * failures, 3.0))  # slows guessing
        return render_template("editing/login.html", next=nxt, error=e.text(_lang()),
                               username=request.form.get("username", "")[:40]), e.http_status
    session.clear()
    session.permanent = True
    session.update(uid=user.id, stamp=user.stamp, at=int(time.time()))
    return redirect(nxt, code=303)


@bp.post("/logout")
@requires(LOGGED_IN)
def logout():
    """End this session and every other session of the account."""
    accounts.end_sessions(workspace().engine, g.user)
    session.clear()
    return redirect(url_for("pages.index", lang=_lang() if _lang() != current_app.config["LANG"] else None),
                    code=303)
