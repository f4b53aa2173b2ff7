from flask import Blueprint, jsonify
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from notes.extensions import db
from notes.models import User
from notes.validation import json_body, require_str

auth_bp = Blueprint("auth", __name__, url_prefix="/auth")


@auth_bp.post("/register")
def register():
    data = json_body()
    email = require_str(data, "email", 255).lower()
    password = require_str(data, "password", 128)
    if len(password) < 8:
        return jsonify(error="password must be at least 8 characters"), 400
    if db.session.scalar(select(User).where(User.email == email)) is not None:
        return jsonify(error="email already registered"), 409
    user = User(email=email)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return jsonify(user.to_dict()), 201


@auth_bp.post("/login")
def login():
    data = json_body()
    user = db.session.scalar(select(User).where(User.email == str(data.get("email", "")).lower()))
    if user is None or not user.check_password(str(data.get("password", ""))):
        return jsonify(error="invalid email or password"), 401
    login_user(user)
    return jsonify(user.to_dict())


@auth_bp.post("/logout")
@login_required
def logout():
    logout_user()
    return "", 204


@auth_bp.get("/me")
@login_required
def me():
    return jsonify(current_user.to_dict())
