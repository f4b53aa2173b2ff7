"""Prices in other currencies, converted by an outside exchange-rate API (`PRICING_API_URL`).

The API can be slow or down: every failure becomes `PricingUnavailable`, which the endpoint answers
with a 503 of its own instead of a crash.
"""

import httpx

from app.core.config import settings


class PricingUnavailable(Exception):
    """The pricing API did not answer in time, or answered with an error."""


def convert_cents(amount_cents: int, source: str, target: str) -> int:
    if source == target:
        return amount_cents
    try:
        response = httpx.get(
            f"{settings.PRICING_API_URL}/convert",
            params={"from": source, "to": target, "amount": amount_cents},
            timeout=settings.PRICING_API_TIMEOUT,
        )
        response.raise_for_status()
        return round(response.json()["result"])
    except (httpx.HTTPError, KeyError, TypeError, ValueError) as e:
        raise PricingUnavailable(f"converting {source} to {target}: {e}") from e
