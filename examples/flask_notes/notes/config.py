import os


class Config:
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "postgresql+psycopg://notes:notes@localhost:5432/notes")
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-secret")
    NOTES_PER_PAGE = 20
