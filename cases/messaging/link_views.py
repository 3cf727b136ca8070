"""Staff pages of the debtor's space links: a case's links and their revocation, the administrator's settings."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import can, get_scoped_or_404, permission_required
from agency.db import db
from cases import extensions
from cases.messaging.forms import RevokeLinksForm, SpaceSettingsForm
from cases.messaging.space_links import (
    SettingsError,
    get_settings,
    link_state,
    links_of,
    revoke_links,
    update_settings,
)
from cases.models import Case
from cases.models.space_links import SpaceLink

bp = Blueprint("space_links", __name__)
extensions.add_panel("side", "cases/messaging/_space_links.html", 20)


@dataclass(frozen=True)
class LinksPanel:
    links: list[tuple[SpaceLink, str]]  # newest first, with their state
    form: RevokeLinksForm

    @property
    def active(self) -> int:
        return sum(1 for _link, state in self.links if state == "active")


@bp.app_context_processor
def _helpers() -> dict:
    return {"space_links_panel": space_links_panel}


def space_links_panel(case: Case) -> LinksPanel | None:
    """Return the case's links for staff who may revoke them; None for anyone else."""
    if not can("space.links"):
        return None
    return LinksPanel([(link, link_state(link)) for link in links_of(case)], RevokeLinksForm())


@bp.post("/cases/<int:case_id>/space-links/revoke")
@permission_required("space.links")
def revoke(case_id: int):
    case = get_scoped_or_404(Case, case_id)
    if RevokeLinksForm().validate_on_submit():
        count = revoke_links(case, actor=current_user)
        db.session.commit()
        flash(_("%(count)s link(s) to the debtor's space revoked: they open nothing any more. The next message "
                "sends a new one.", count=count) if count else _("No link of this case was still valid."), "success")
    return redirect(url_for("cases.show", case_id=case.id, _anchor="space-links"))


@bp.route("/admin/debtor-space", methods=["GET", "POST"])
@permission_required("space.settings")
def settings_page():
    settings = get_settings()
    form = SpaceSettingsForm(obj=settings)
    if form.validate_on_submit():
        try:
            update_settings(link_days=form.link_days.data, group_cases=form.group_cases.data, actor=current_user)
        except SettingsError as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Settings saved. Links already sent keep their expiry date."), "success")
            return redirect(url_for("space_links.settings_page"))
    return render_template("cases/messaging/space_settings.html", form=form), 400 if form.is_submitted() else 200
