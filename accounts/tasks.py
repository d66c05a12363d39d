"""Celery tasks of the accounts (STYLE §3): one service call each."""

from celery import shared_task

from .tokens import api_tokens_purge_expired


@shared_task(name="accounts.purge_expired_api_tokens", acks_late=True, soft_time_limit=300, time_limit=360)
def purge_expired_api_tokens_task():
    """R46: an expired token no longer signs in; beat removes its row."""
    return api_tokens_purge_expired()
