from rest_framework.pagination import PageNumberPagination


class ApiPagination(PageNumberPagination):
    """CONTRACT §4: ``{"count", "next", "previous", "results"}``, ``?page=``,
    ``?page_size=`` (max 200). A page past the end is 404 ``not_found``."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
