from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.security import hash_password
from app.models import Item, User
from app.schemas import ItemCreate, UserCreate


def get_user_by_email(db: Session, email: str) -> User | None:
    return db.scalars(select(User).where(User.email == email)).first()


def create_user(db: Session, data: UserCreate) -> User:
    user = User(email=data.email, hashed_password=hash_password(data.password))
    db.add(user)
    db.commit()
    db.refresh(user)
    return user


def create_item(db: Session, data: ItemCreate, owner_id: int) -> Item:
    item = Item(title=data.title, description=data.description, price_cents=data.price_cents, owner_id=owner_id)
    db.add(item)
    db.commit()
    db.refresh(item)
    return item


def list_items(db: Session, owner_id: int, skip: int, limit: int) -> list[Item]:
    stmt = select(Item).where(Item.owner_id == owner_id).offset(skip).limit(limit)
    return list(db.scalars(stmt))
