import redis
from fastapi import APIRouter

from app.core.config import settings

router = APIRouter()


@router.get("/health")
def health() -> dict[str, str]:
    redis.Redis.from_url(settings.REDIS_URL).ping()
    return {"status": "ok"}
