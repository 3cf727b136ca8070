"""Twilio's callbacks (delivery status, inbound SMS): signed by Twilio, not by a session."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
