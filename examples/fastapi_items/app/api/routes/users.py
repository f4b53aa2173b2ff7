from fastapi import APIRouter, Depends, HTTPException

from app import crud
from app.api.deps import CurrentUser, SessionDep, get_current_admin
from app.models import User
from app.schemas import UserCreate, UserOut

router = APIRouter(prefix="/users", tags=["users"])


@router.post("/", response_model=UserOut, status_code=201)
def register_user(data: UserCreate, db: SessionDep) -> User:
    if crud.get_user_by_email(db, data.email):
        raise HTTPException(status_code=409, detail="Email already registered")
    return crud.create_user(db, data)


@router.get("/me", response_model=UserOut)
def read_me(user: CurrentUser) -> User:
    return user


@router.get("/", response_model=list[UserOut], dependencies=[Depends(get_current_admin)])
def list_users(db: SessionDep, skip: int = 0, limit: int = 100) -> list[User]:
    return list(db.query(User).offset(skip).limit(limit))
