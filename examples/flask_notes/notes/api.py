from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user, login_required
from sqlalchemy import select

from notes.extensions import db
from notes.mail import MailNotSent, send_note
from notes.models import Note
from notes.validation import json_body, require_str

api_bp = Blueprint("api", __name__, url_prefix="/api")
notes_bp = Blueprint("notes", __name__, url_prefix="/notes")


def _own_note_or_404(note_id: int) -> Note:
    note = db.session.get(Note, note_id)
    if note is None or note.owner_id != current_user.id:
        abort(404, description="note not found")
    return note


@notes_bp.get("/")
@login_required
def list_notes():
    per_page = current_app.config["NOTES_PER_PAGE"]
    page = request.args.get("page", 1, type=int)
    stmt = select(Note).where(Note.owner_id == current_user.id).order_by(Note.id)
    if request.args.get("pinned") == "true":
        stmt = stmt.where(Note.pinned.is_(True))
    # BUG (deliberate): page=0 (or negative) gives a negative OFFSET, which Postgres rejects -> 500.
    notes = db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page)).all()
    return jsonify([n.to_dict() for n in notes])


@notes_bp.post("/")
@login_required
def create_note():
    data = json_body()
    note = Note(
        title=require_str(data, "title", 120),
        body=str(data.get("body", "")),
        pinned=bool(data.get("pinned", False)),
        owner_id=current_user.id,
    )
    db.session.add(note)
    db.session.commit()
    return jsonify(note.to_dict()), 201


@notes_bp.get("/<int:note_id>")
@login_required
def get_note(note_id: int):
    return jsonify(_own_note_or_404(note_id).to_dict())


@notes_bp.patch("/<int:note_id>")
@login_required
def update_note(note_id: int):
    note = _own_note_or_404(note_id)
    data = json_body()
    if "title" in data:
        note.title = require_str(data, "title", 120)
    if "body" in data:
        note.body = str(data["body"])
    if "pinned" in data:
        note.pinned = bool(data["pinned"])
    # BUG (deliberate): no db.session.commit(); the response shows the change, the database never gets it.
    return jsonify(note.to_dict())


@notes_bp.delete("/<int:note_id>")
@login_required
def delete_note(note_id: int):
    # BUG (deliberate): no ownership check; any logged-in user can delete anyone's note.
    note = db.session.get(Note, note_id)
    if note is None:
        abort(404, description="note not found")
    db.session.delete(note)
    db.session.commit()
    return "", 204


@notes_bp.post("/<int:note_id>/email")
@login_required
def email_note(note_id: int):
    """Mail the note to the caller's own address."""
    note = _own_note_or_404(note_id)
    try:
        send_note(note, current_user.email)
    except MailNotSent:
        return jsonify(error="the mail could not be sent, try again later"), 503
    return jsonify(sent_to=current_user.email), 202


api_bp.register_blueprint(notes_bp)
