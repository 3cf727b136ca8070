"""Debtor pages (agency staff only): identity, contact points, holds, all the debtor's cases."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from agency.auth import permission_required
from agency.db import db
from debtors.models import Debtor

bp = Blueprint("debtors", __name__, url_prefix="/debtors")


@bp.get("/<int:debtor_id>")
@permission_required("debtors.view")
def show(debtor_id: int):
    # Debtors are shared by all clients and only staff reach this page, so no tenant scope applies.
    debtor = db.session.get(Debtor, debtor_id) or abort(404)
    return render_template("debtors/show.html", debtor=debtor)
