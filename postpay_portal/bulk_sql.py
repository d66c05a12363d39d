"""Bulk writes as one statement each, on PostgreSQL (issue 11 item 7).

Django's ``bulk_update`` builds a ``CASE WHEN`` expression per row and field, and its
``bulk_create`` prepares each value through the compiler: for a bulk approval of 1,000
operations that compilation cost more than PostgreSQL's work (cProfile). These write the
same rows with SQL built from the models' metadata and each field's own conversion
(``pre_save``, ``get_db_prep_save``). Elsewhere (SQLite), Django's own.
"""

from django.db import connection

MAX_ROWS = 1000  # rows a statement: well within PostgreSQL's 65,535 parameters


def _batches(objs):
    return [objs[start:start + MAX_ROWS] for start in range(0, len(objs), MAX_ROWS)]


def _names(model, attnames):
    by_attname = {field.attname: field.name for field in model._meta.concrete_fields}
    return [by_attname[attname] for attname in attnames]


def bulk_update(model, objs, fields):
    """Write ``fields`` of every object in one statement.

    On PostgreSQL, one ``UPDATE … FROM (VALUES …)``: Django's ``bulk_update`` builds a
    ``CASE WHEN`` expression per row and field, whose compilation cost more than the rest
    of a bulk approval together (cProfile, issue 11 item 7). Elsewhere, Django's.
    """
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objs, [model._meta.get_field(name).name for name in _names(model, fields)])
        return
    for batch in _batches(objs):
        _update(model, batch, fields)


def _update(model, objs, fields):
    meta = model._meta
    pk = meta.pk
    columns = [meta.get_field(name) for name in _names(model, fields)]
    quote = connection.ops.quote_name
    row = "(" + ", ".join(f"%s::{field.cast_db_type(connection)}" for field in [pk, *columns]) + ")"
    params = []
    for obj in objs:
        params.append(pk.get_db_prep_value(obj.pk, connection))
        params.extend(field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns)
    table = quote(meta.db_table)
    assignments = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in columns)
    names = ", ".join(quote(field.column) for field in [pk, *columns])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row] * len(objs))}) AS v ({names}) "
            f"WHERE {table}.{quote(pk.column)} = v.{quote(pk.column)}",
            params,
        )


def bulk_insert(model, objs):
    """Insert the objects in one statement (per ``MAX_ROWS``), without reading anything back:
    an auto-generated primary key stays unset on the objects."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        return
    meta = model._meta
    fields = [field for field in meta.concrete_fields if field.get_internal_type() not in ("AutoField", "BigAutoField")]
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    names = ", ".join(quote(field.column) for field in fields)
    for batch in _batches(objs):
        params = [field.get_db_prep_save(field.pre_save(obj, True), connection) for obj in batch for field in fields]
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES {', '.join([row] * len(batch))}",
                           params)
