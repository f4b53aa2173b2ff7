from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env")

    DATABASE_URL: str = "postgresql+psycopg://app:app@localhost:5432/items"
    REDIS_URL: str = "redis://localhost:6379/0"
    SECRET_KEY: str = "dev-secret"
    ACCESS_TOKEN_EXPIRE_MINUTES: int = 30
    PRICING_API_URL: str = "https://api.exchangerate.host"
    PRICING_API_TIMEOUT: float = 5.0


settings = Settings()
