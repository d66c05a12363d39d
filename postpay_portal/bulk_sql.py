"""Bulk writes as one statement each (issue 11 items 6 and 7).

Django's ``bulk_update`` builds a ``CASE WHEN`` expression per row and field, and its
``bulk_create`` prepares each value through the compiler: for a bulk approval of 1,000
operations that compilation cost more than PostgreSQL's work (cProfile). These write the
same rows with SQL built from the models' metadata and each field's own conversion
(``pre_save``, ``get_db_prep_save``): inserts on PostgreSQL and SQLite (a multi-row
``VALUES`` both speak), updates on PostgreSQL (``UPDATE … FROM (VALUES …)`` with casts).
Elsewhere, Django's own.
"""

from django.db import connection

MAX_ROWS = 1000  # rows a statement: within PostgreSQL's 65,535 parameters and SQLite's 32,766
INSERT_VENDORS = ("postgresql", "sqlite")


def _batches(objs):
    return [objs[start : start + MAX_ROWS] for start in range(0, len(objs), MAX_ROWS)]


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
    an auto-generated primary key stays unset on the objects. No ``save()`` runs: for rows
    nothing reads back in the same request (audit entries, events)."""
    if not objs:
        return
    if connection.vendor not in INSERT_VENDORS:
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
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES {', '.join([row] * len(batch))}", params
            )


def locked(model, pk):
    """The row ``pk`` of ``model``, locked for this transaction (``SELECT … FOR UPDATE`` where
    the database has it; SQLite's immediate transactions hold the whole database), or None.

    One statement written from the metadata: ``select_for_update().get()`` spent more time in
    the ORM's compiler than in the database, on every order placement (issue 11 item 6).
    """
    meta = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in meta.concrete_fields)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = %s{lock}"
    return next(iter(model._default_manager.raw(sql, [pk])), None)
