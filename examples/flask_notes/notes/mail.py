"""Mail the app sends, through the SMTP relay its config names (SMTP_HOST, SMTP_PORT).

A relay can be down, slow or refuse a message: every such failure becomes `MailNotSent`, which the
view answers with a 503 of its own instead of a crash.
"""

import smtplib
from email.message import EmailMessage

from flask import current_app

from notes.models import Note


class MailNotSent(Exception):
    """The SMTP relay could not be reached, or refused the message."""


def send_note(note: Note, to: str) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = note.title
    message.set_content(note.body or "(empty note)")
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as e:  # refused, unreachable, timed out
        raise MailNotSent(f"mailing note {note.id}: {e}") from e
