"""Staff pages of the debtor's space links: a case's links and their revocation, the administrator's settings."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agency.auth import can, get_scoped_or_404, permission_required
from agency.db import db
from agency.storage import DocumentError, file_response, read_document
from cases import extensions
from cases.judicial.documents import download_name
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
from cases.models.space_links import SpaceDocument, SpaceLink

bp = Blueprint("space_links", __name__)
extensions.add_panel("side", "cases/messaging/_space_links.html", 20)


@dataclass(frozen=True)
class LinksPanel:
    links: list[tuple[SpaceLink, str]]  # newest first, with their state
    form: RevokeLinksForm
    documents: list[SpaceDocument]  # the files the debtor sent from the space, newest first

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
    documents = db.session.scalars(sa.select(SpaceDocument).where(SpaceDocument.case_id == case.id)
                                   .order_by(SpaceDocument.id.desc())).all()
    return LinksPanel([(link, link_state(link)) for link in links_of(case)], RevokeLinksForm(), list(documents))


@bp.get("/space-documents/<int:space_document_id>")
@permission_required("space.links")
def space_document(space_document_id: int):
    """A file the debtor sent (a dispute's evidence, a proof of payment), for staff: always a download, typed by
    its bytes, so that nothing a debtor uploads is ever shown inside the platform's pages."""
    document = db.session.get(SpaceDocument, space_document_id) or abort(404)
    try:
        data = read_document(document.file_path, document.sha256)
    except DocumentError as exc:
        current_app.logger.error("debtor's document %s not served: %s", document.id, exc)
        flash(_("The stored file %(name)s is missing or does not match its recorded fingerprint: it was not served. "
                "Tell your administrator.", name=document.filename), "danger")
        return redirect(url_for("cases.show", case_id=document.case_id, _anchor="space-links"))
    response = file_response(data, download_name(document), document.media_type, document.sha256, inline=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


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
