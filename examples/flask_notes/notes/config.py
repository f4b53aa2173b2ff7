import os


class Config:
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "postgresql+psycopg://notes:notes@localhost:5432/notes")
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-secret")
    NOTES_PER_PAGE = 20
    SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "10"))
    MAIL_FROM = os.environ.get("MAIL_FROM", "notes@localhost")
