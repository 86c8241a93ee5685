"""The 待辦事項 home: where every signed-in user lands after logging in (services.py does the work)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sixcore.progress.clock import today

from . import services


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "workbench/home.html", services.home_for(request.user, today()))
