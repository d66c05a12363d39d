"""The REST API's shared pieces (CONTRACT §4): one exception handler, roles, pagination,
the body-size-limited JSON parser, idempotency of order creation and the schema helpers.

Endpoints live in each app's ``apis.py``; they validate and translate, the services decide.
"""
