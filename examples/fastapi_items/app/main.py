from fastapi import FastAPI

from app.api import health
from app.api.routes import items, login, prices, users

app = FastAPI(title="Items")

app.include_router(health.router)
app.include_router(login.router, prefix="/api/v1")
app.include_router(users.router, prefix="/api/v1")
app.include_router(items.router, prefix="/api/v1")
app.include_router(prices.router, prefix="/api/v1")
