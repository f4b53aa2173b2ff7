from enum import Enum

from pydantic import BaseModel, EmailStr, Field


class Currency(str, Enum):
    eur = "EUR"
    usd = "USD"


class UserCreate(BaseModel):
    email: EmailStr
    password: str = Field(min_length=8, max_length=128)


class UserOut(BaseModel):
    id: int
    email: EmailStr
    is_admin: bool = False


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class ItemCreate(BaseModel):
    title: str = Field(min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    price_cents: int = Field(ge=0)
    currency: Currency = Currency.eur


class ItemUpdate(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = None
    price_cents: int | None = Field(default=None, ge=0)


class ItemOut(BaseModel):
    id: int
    title: str
    description: str | None = None
    price_cents: int
    owner_id: int


class ItemPrice(BaseModel):
    item_id: int
    currency: Currency
    amount_cents: int
