"""The Amiable application factory; `flask --app app …` uses the module-level `app`."""

from __future__ import annotations

import importlib
import os
import threading
from typing import Any

from flask import (
    Flask,
    current_app,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_login import current_user
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from agency import errors, headers, inputs, jobs, metrics, request_id
from agency.auth import can, login_manager
from agency.config import ROOT, Config
from agency.db import db
from agency.french import elide
from agency.money import format_money
from agency.sqlite import configure_sqlite
from cases.labels import as_context as case_labels
from debtors.contacts import format_phone
from debtors.labels import as_context as debtor_labels

# Called by other systems, never by a browser session: no CSRF token (they authenticate otherwise).
TOKEN_AUTHENTICATED = ("cases.api:bp", "cases.messaging.webhooks:bp", "money.online.webhooks:bp")
# Every module defining tables, so that the metadata (and Alembic) sees the whole schema.
MODEL_MODULES = (
    "agency.models", "agency.message_models", "debtors.models", "cases.models", "cases.placement.models", "money.models", "reports.models",
    "alerts.models", "reports.aged_models", "debtors.bodacc_models", "cases.models.space_links",
    "agency.security_models",
)
BLUEPRINTS = (
    "agency.views:bp",
    "agency.account_views:bp",
    "agency.user_views:bp",
    "agency.ops_views:bp",
    "agency.client_views:bp",
    "cases.views:bp",
    "cases.batches.views:bp",
    "cases.placement.views:bp",
    "cases.api:bp",
    "cases.queue.views:bp",
    "cases.work.views:bp",
    "cases.messaging.views:bp",
    "cases.messaging.webhooks:bp",
    "cases.messaging.link_views:bp",
    "cases.letters.views:bp",
    "cases.letters.returned_views:bp",
    "cases.attachments.views:bp",
    "cases.notes.views:bp",
    "cases.interest.views:bp",
    "money.payments.views:bp",
    "money.plans.views:bp",
    "money.remittances.views:bp",
    "money.closing_reports.views:bp",
    "money.online.webhooks:bp",
    "money.personal_data.views:bp",
    "debtors.views:bp",
    "debtors.bodacc_views:bp",
    "cases.judicial.views:bp",
    "cases.judicial.pack_views:bp",
    "cases.judicial.admin_views:bp",
    "cases.judicial.insolvency_views:bp",
    "cases.closing.views:bp",
    "cases.closing.limitation_views:bp",
    "cases.closing.client_views:bp",
    "alerts.views:bp",
    "reports.views:bp",
    "reports.aged_views:bp",
    "reports.monthly_views:bp",
    "reports.audit.views:bp",
    "debtor_space.views:bp",
)

migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build an app: embedded mode by default, real mode from DATABASE_URL / REDIS_URL."""
    # From ROOT, not from this file's folder: installed from a wheel, they sit apart from app.py (agency.config).
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.config.from_object(Config())
    app.config.update(config or {})
    os.makedirs(app.config["INSTANCE_DIR"], exist_ok=True)
    # First of the request hooks: a request another hook refuses is still logged with its id, timed and counted.
    request_id.init_app(app)
    metrics.init_app(app)
    if app.config["PROXY_FIX"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    for name in MODEL_MODULES:
        importlib.import_module(name)
    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT"])
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    bootstrap.init_app(app)
    jobs.init_app(app)
    jobs.import_job_modules()

    _register_blueprints(app)
    errors.init_app(app)
    headers.init_app(app)
    inputs.init_app(app)
    _register_template_helpers(app)
    _register_cli(app)
    _start_scheduler(app)
    return app


def _select_locale() -> str:
    """French unless the user or the session chose another language."""
    if not has_request_context():  # shell commands speak the default language
        return "fr"
    chosen = session.get("lang") or getattr(current_user, "locale", None)
    return chosen if chosen in current_app.config["LANGUAGES"] else "fr"


def _register_blueprints(app: Flask) -> None:
    for path in BLUEPRINTS:
        module, attr = path.split(":")
        blueprint = getattr(importlib.import_module(module), attr)
        app.register_blueprint(blueprint)
        if path in TOKEN_AUTHENTICATED:
            csrf.exempt(blueprint)  # no session cookie is used there, so there is no CSRF to fear

    @app.get("/")
    def index():
        return redirect(url_for("cases.index"))


def _register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    @app.context_processor
    def helpers():
        return {
            "can": can,
            "get_locale": get_locale,
            "languages": app.config["LANGUAGES"],
            "current_path": request.full_path,
            **case_labels(),
            **debtor_labels(),
        }

    app.add_template_filter(format_phone, "phone")
    app.add_template_filter(elide, "elide")  # French letters and messages: "d'Énergia", not "de Énergia"

    @app.template_filter("money")
    def money_filter(cents: int | None, currency: str = "EUR") -> str:
        return format_money(cents, currency, locale=str(get_locale() or "fr"))


def _register_cli(app: Flask) -> None:
    from agency.cli import agency_cli
    from cases.cli import cases_cli

    importlib.import_module("demo.command")  # adds `flask agency demo`
    app.cli.add_command(agency_cli)
    app.cli.add_command(cases_cli)


def _start_scheduler(app: Flask) -> None:
    """Embedded mode: run periodic jobs on a thread of the process that serves requests.

    Started at the first request, so that CLI commands and the reloader's parent start no thread.
    """
    if app.config["REDIS_URL"] or app.testing or not app.config["SCHEDULER_THREAD"]:
        return
    started = threading.Lock()

    @app.before_request
    def start_once():
        if started.acquire(blocking=False):
            jobs.SchedulerThread(app).start()
