"""``/search/?q=…``: the site search page (scoped like every other view, see services.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import services


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    groups = services.search(request.user, query) if query else []
    return render(
        request,
        "search/results.html",
        {
            "query": query,
            "terms": services.terms_of(query),
            "groups": groups,
            "total": sum(len(g.hits) for g in groups),
            "max_length": services.MAX_QUERY_LENGTH,
        },
    )
