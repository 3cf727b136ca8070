"""Every page of plans as each role: login, permission, and the client's tenant (another client's plan is 404)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agency.auth import PERMISSIONS
from agency.clock import today
from agency.db import db
from agency.models import Role
from money.plans.documents import store_agreement
from money.plans.plans import propose_plan, split
from tests import factories
from tests.conftest import IsolatedClient, login


@pytest.fixture
def world(db_session):
    """Two clients with a case and a running plan (agreement stored) each; client users belong to the first."""
    factories.agency_profile()
    cases, plans = [], []
    for _ in range(2):
        case = factories.case(amounts=(60_000,))
        factories.postal_address(case.debtor)
        plan = propose_plan(case, instalments=split(60_000, 2, today() + timedelta(days=3)), total_cents=60_000,
                            actor=None)
        store_agreement(plan)
        cases.append(case)
        plans.append(plan)
    users = {role.value: factories.user(role, client=cases[0].client if role is Role.CLIENT else None)
             for role in Role}
    db.session.commit()
    return {"cases": cases, "plans": plans, "users": users}


def plan_routes(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("plans.") and "GET" in rule.methods]


def build(rule, world, own: bool) -> str:
    index = 0 if own else 1
    values = {"case_id": world["cases"][index].id, "plan_id": world["plans"][index].id}
    return rule.build({arg: values[arg] for arg in rule.arguments})[1]


def test_the_plan_pages_are_the_ones_expected(app):
    assert {rule.endpoint for rule in plan_routes(app)} == {"plans.new", "plans.approvals", "plans.agreement"}


def test_anonymous_users_are_sent_to_login(app, world):
    web = app.test_client()
    for rule in plan_routes(app):
        response = web.get(build(rule, world, own=True))
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), rule.endpoint


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_reaches_its_plan_pages_and_only_its_tenant(app, world, role):
    app.test_client_class = IsolatedClient
    web = app.test_client()
    assert login(web, world["users"][role].email).status_code == 302
    for rule in plan_routes(app):
        view = app.view_functions[rule.endpoint]
        allowed = Role(role) in PERMISSIONS[view.permission]
        assert web.get(build(rule, world, own=True)).status_code == (200 if allowed else 403), rule.endpoint
        if allowed and rule.arguments:
            other = web.get(build(rule, world, own=False)).status_code
            assert other == (404 if role == "client" else 200), f"{role} {rule.endpoint} other tenant"
