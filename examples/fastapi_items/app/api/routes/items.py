from fastapi import APIRouter, HTTPException, Query

from app import crud
from app.api.deps import CurrentUser, SessionDep
from app.models import Item
from app.schemas import ItemCreate, ItemOut, ItemUpdate

router = APIRouter(prefix="/items", tags=["items"])


@router.get("/", response_model=list[ItemOut])
def list_items(db: SessionDep, user: CurrentUser, skip: int = 0, limit: int = Query(default=50, le=100)):
    return crud.list_items(db, owner_id=user.id, skip=skip, limit=limit)


@router.post("/", response_model=ItemOut, status_code=201)
def create_item(data: ItemCreate, db: SessionDep, user: CurrentUser):
    return crud.create_item(db, data, owner_id=user.id)


@router.get("/search", response_model=list[ItemOut])
def search_items(db: SessionDep, user: CurrentUser, q: str = ""):
    # BUG (deliberate): an empty query divides by zero instead of returning [].
    page_size = 100 // len(q)
    return db.query(Item).filter(Item.owner_id == user.id, Item.title.contains(q)).limit(page_size).all()


@router.get("/{item_id}", response_model=ItemOut)
def read_item(item_id: int, db: SessionDep, user: CurrentUser):
    item = db.get(Item, item_id)
    if item is None or item.owner_id != user.id:
        raise HTTPException(status_code=404, detail="Item not found")
    return item


@router.put("/{item_id}", response_model=ItemOut)
def update_item(item_id: int, data: ItemUpdate, db: SessionDep, user: CurrentUser):
    item = db.get(Item, item_id)
    if item is None or item.owner_id != user.id:
        raise HTTPException(status_code=404, detail="Item not found")
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(item, field, value)
    # BUG (deliberate): no db.commit(), so the change is lost when the session closes.
    return item


@router.delete("/{item_id}", status_code=204)
def delete_item(item_id: int, db: SessionDep, user: CurrentUser):
    item = db.get(Item, item_id)
    # BUG (deliberate): no ownership check; any user can delete anyone's item.
    if item is None:
        raise HTTPException(status_code=404, detail="Item not found")
    db.delete(item)
    db.commit()
