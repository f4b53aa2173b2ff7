from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.security import OAuth2PasswordRequestForm

from app import crud
from app.api.deps import SessionDep
from app.core.security import create_access_token, verify_password
from app.schemas import Token

router = APIRouter(tags=["login"])


@router.post("/login/access-token", response_model=Token)
def login_access_token(db: SessionDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    user = crud.get_user_by_email(db, form.username)
    if user is None or not verify_password(form.password, user.hashed_password):
        raise HTTPException(status_code=400, detail="Incorrect email or password")
    return Token(access_token=create_access_token(str(user.id)))
