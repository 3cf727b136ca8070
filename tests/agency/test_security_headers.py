"""Security headers on pages, error pages, the API and static files; no inline script or style in any page.

Every page each role can open (the route walk of tests/test_routes.py) is rendered and read with an HTML
parser: a `<script>` without `src`, an `on…=` handler, a `style` attribute or element, or a
`javascript:` address would be refused by the Content-Security-Policy, so none may be there.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from agency.auth import PERMISSIONS
from agency.db import db
from agency.models import Role
from agency.tokens import issue_token
from cases.messaging.links import PORTAL, UNSUBSCRIBE, sign_id
from cases.queue.leases import lease_next_case
from tests import factories
from tests.cases.queue.helpers import callable_now, queued_case
from tests.conftest import IsolatedClient, csrf_token, login
from tests.test_routes import ROLES, build_url, get_routes, world  # noqa: F401 (world: the routes' fixture)

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "frame-ancestors": "'none'",
    "object-src": "'none'",
}


def _policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in header.split(";")) if part}


def assert_secure_headers(response, https: bool = False) -> None:
    policy = _policy(response)
    for directive, value in CSP.items():
        assert policy.get(directive) == value, (directive, response.headers.get("Content-Security-Policy"))
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    if https:
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    else:
        assert "Strict-Transport-Security" not in response.headers  # meaningless, and misleading, over HTTP


class InlineCode(HTMLParser):
    """Collect what a strict Content-Security-Policy would refuse to run or apply in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            elif name == "style":
                self.found.append(f"<{tag} style={value!r}>")
            elif name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value!r}>")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def test_the_scanner_sees_inline_code():
    page = ('<script>alert(1)</script><script src="/static/a.js"></script><a href="JavaScript:x">x</a>'
            '<button onclick="x()">b</button><div style="color:red"></div><style>p{}</style>')
    assert inline_code(page) == ["inline <script>", "<a href='JavaScript:x'>", "<button onclick=…>",
                                 "<div style='color:red'>", "<style> element"]


def test_pages_error_pages_static_files_and_the_api_send_the_headers(app, client, login_as):
    assert_secure_headers(client.get("/login"))
    assert_secure_headers(client.get("/static/amiable.css"))
    assert_secure_headers(client.get("/api/v1/openapi.json"))
    unauthorised = client.get("/api/v1/cases/D26-000001")
    assert unauthorised.status_code == 401
    assert_secure_headers(unauthorised)
    assert_secure_headers(client.post("/login", data={"email": "x@example.com"}))  # no CSRF token: 400 page

    login_as("collector")
    page = client.get("/cases/")
    assert page.status_code == 200
    assert_secure_headers(page)
    for url, code in (("/no-such-page", 404), ("/admin/users", 403), ("/api/v1/no-such-thing", 404)):
        response = client.get(url)
        assert response.status_code == code, url
        assert_secure_headers(response)
    not_allowed = client.delete("/cases/")
    assert not_allowed.status_code == 405
    assert_secure_headers(not_allowed)


def test_hsts_is_sent_over_https_only(app, client):
    assert_secure_headers(client.get("/login", base_url="https://localhost"), https=True)
    assert_secure_headers(client.get("/api/v1/openapi.json", base_url="https://localhost"), https=True)
    assert_secure_headers(client.get("/no-such-page", base_url="https://localhost"), https=True)


def test_the_api_answers_with_the_headers_to_a_token(app, client, db_session):
    creditor = factories.client()
    case = factories.case(client_row=creditor)
    _row, token = issue_token(creditor, name="ERP", actor=None)
    db_session.commit()
    response = client.get(f"/api/v1/cases/{case.reference}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert_secure_headers(response)


@pytest.mark.parametrize("role", ROLES)
def test_no_page_holds_inline_script_or_style(app, world, role):  # noqa: F811 (the routes' fixture)
    """Every page the role may open, the case page with a lease in hand included, carries no inline code."""
    app.test_client_class = IsolatedClient
    web = app.test_client()
    user = world["users"][role]
    assert login(web, user.email).status_code == 302
    if role in ("collector", "manager"):  # the case page's lease panel and its script
        case = queued_case(collector=user)
        callable_now(case)
        lease_next_case(user)
        db.session.commit()
    pages = [web.get("/login")]
    for endpoint, rule, view in get_routes(app):
        if Role(role) not in PERMISSIONS[view.permission]:
            continue
        response = web.get(build_url(rule, world))
        assert response.status_code == 200, endpoint
        pages.append(response)
    if role in ("collector", "manager"):
        pages.append(web.get(f"/cases/{case.id}?from=queue"))
        assert 'data-lease-renew' in pages[-1].get_data(as_text=True)
    html_pages = [p for p in pages if p.mimetype == "text/html"]
    assert len(html_pages) > 5
    for response in html_pages:
        assert_secure_headers(response)
        assert inline_code(response.get_data(as_text=True)) == [], response.request.path
    for response in pages:  # downloads too: PDFs, CSV, XLSX
        assert response.headers["X-Content-Type-Options"] == "nosniff", response.request.path
        if response.mimetype == "application/pdf":  # Chrome's viewer draws it in a page the policy would blank
            assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'", response.request.path
    if role != "client":
        assert any(p.mimetype == "application/pdf" for p in pages)


def test_the_csrf_refusal_page_has_the_headers(app, client, login_as):
    login_as("collector")
    token = csrf_token(client, "/cases/")
    assert token
    refused = client.post("/queue/next", data={"csrf_token": "forged"})
    assert refused.status_code == 400
    assert_secure_headers(refused)


def test_the_debtors_public_pages_hold_no_inline_code(client, db_session):
    """The first self-service links (now expired, 410) and the unsubscribe page, reached by signed links from
    messages; the debtor's space's own pages are checked in tests/debtor_space/."""
    case = factories.case()
    address = factories.contact(case.debtor, "email", "jeanne@example.com")
    db_session.commit()
    old_link = client.get(f"/d/{sign_id(PORTAL, case.id)}")
    assert old_link.status_code == 410  # answered by the debtor's space, under its stricter policy
    assert "default-src 'none'" in old_link.headers["Content-Security-Policy"]
    assert old_link.headers["Referrer-Policy"] == "no-referrer"
    assert inline_code(old_link.get_data(as_text=True)) == []
    unsubscribe = client.get(f"/unsubscribe/{sign_id(UNSUBSCRIBE, address.id)}")
    assert unsubscribe.status_code == 200
    assert_secure_headers(unsubscribe)
    assert inline_code(unsubscribe.get_data(as_text=True)) == []
