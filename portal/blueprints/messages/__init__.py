"""The patient's secure messages with the care team: inbox, compose, conversation, reply,
archive and attachment downloads. Every rule is in services/messages/."""

from flask import Blueprint

bp = Blueprint("messages", __name__)

from . import views  # noqa: E402,F401
