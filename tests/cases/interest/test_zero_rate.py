"""A rate of 0 % is a rate: the ECB's stood at 0 % until July 2022, and older invoices still need it."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from agency.db import db
from cases.models import RatePeriod
from tests.conftest import csrf_token


def test_an_ecb_rate_of_zero_is_accepted_for_a_past_half_year(client, login_as):
    login_as("admin")
    token = csrf_token(client, "/admin/rates")
    response = client.post("/admin/rates", data={"csrf_token": token, "kind": "ecb", "starts_on": "2022-07-01",
                                                  "rate": "0,00", "source": "BCE"})
    assert response.status_code == 302
    db.session.expire_all()
    period = db.session.scalar(sa.select(RatePeriod).where(RatePeriod.kind == "ecb",
                                                           RatePeriod.starts_on == date(2022, 7, 1)))
    assert period is not None and period.rate_bp == 0

    empty = client.post("/admin/rates", data={"csrf_token": token, "kind": "ecb", "starts_on": "2022-01-01",
                                               "rate": "", "source": ""})
    assert empty.status_code == 400
    assert "Indiquez le taux en pourcentage, par exemple 2,65." in empty.get_data(as_text=True)
