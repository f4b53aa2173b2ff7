from fastapi import APIRouter, HTTPException

from app.api.deps import CurrentUser, SessionDep
from app.core import pricing
from app.models import Item
from app.schemas import Currency, ItemPrice

router = APIRouter(prefix="/items", tags=["prices"])


@router.get("/{item_id}/price", response_model=ItemPrice)
def read_item_price(item_id: int, db: SessionDep, user: CurrentUser, currency: Currency = Currency.usd):
    """The item's price in another currency, converted by the outside pricing API."""
    item = db.get(Item, item_id)
    if item is None or item.owner_id != user.id:
        raise HTTPException(status_code=404, detail="Item not found")
    try:
        amount = pricing.convert_cents(item.price_cents, Currency.eur.value, currency.value)
    except pricing.PricingUnavailable:
        raise HTTPException(status_code=503, detail="Prices in other currencies are unavailable right now")
    return ItemPrice(item_id=item.id, currency=currency, amount_cents=amount)
