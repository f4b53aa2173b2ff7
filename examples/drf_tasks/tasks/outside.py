"""The outside services the task app talks to: the team's webhook (a chat or automation hook that
hears about shared projects) and S3, where project exports are kept. Each failure becomes one
exception of ours, so the views answer 502/503 instead of a 500 with a traceback."""

import json
import logging

import boto3
import requests
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

log = logging.getLogger(__name__)


class WebhookUnavailable(Exception):
    """The team webhook did not take the message: unreachable, too slow, or an error answer."""


class ExportNotStored(Exception):
    """The exports bucket did not take the export."""


def post_to_webhook(message: dict) -> str:
    """Post `message` to the team webhook; the permalink of the posted message."""
    try:
        response = requests.post(settings.TEAM_WEBHOOK_URL, json=message, timeout=settings.TEAM_WEBHOOK_TIMEOUT)
        response.raise_for_status()
        return response.json()["permalink"]
    except (requests.RequestException, ValueError, KeyError) as e:
        log.warning("the team webhook did not take the message: %s", e)
        raise WebhookUnavailable(str(e)) from e


def store_export(key: str, document: dict) -> None:
    """Write `document` as JSON to the exports bucket under `key`."""
    s3 = boto3.client("s3", endpoint_url=settings.AWS_S3_ENDPOINT_URL, region_name=settings.AWS_REGION)
    try:
        s3.put_object(Bucket=settings.EXPORTS_BUCKET, Key=key, Body=json.dumps(document).encode(),
                      ContentType="application/json")
    except (BotoCoreError, ClientError) as e:
        log.warning("the export %s was not stored: %s", key, e)
        raise ExportNotStored(str(e)) from e
