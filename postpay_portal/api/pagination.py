from django.core.paginator import Paginator
from rest_framework.pagination import PageNumberPagination


class CountedPaginator(Paginator):
    """A paginator told its ``count`` instead of running ``COUNT(*)`` over the list."""

    def __init__(self, object_list, per_page, count=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        if count is not None:
            self.__dict__["count"] = count  # the cached_property's slot


class ApiPagination(PageNumberPagination):
    """CONTRACT §4: ``{"count", "next", "previous", "results"}``, ``?page=``,
    ``?page_size=`` (max 200). A page past the end is 404 ``not_found``.

    A view with a ``list_count()`` gives the exact count itself, from a selector that knows
    a cheaper way than counting the rows (``subscriptions.selectors.order_count``)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        list_count = getattr(view, "list_count", None)
        count = list_count() if list_count is not None else None
        self.django_paginator_class = lambda object_list, per_page: CountedPaginator(object_list, per_page, count)
        return super().paginate_queryset(queryset, request, view)
