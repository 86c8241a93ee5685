"""The product's URLs plus ``/bench/hello/``: the ceiling of the web benchmark (bench/bench_web.py).

The hello-world view goes through the same server, middleware and settings as the pages, and does
nothing else (no session read, no query, no template).
"""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello, world!\n", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("bench/hello/", hello, name="bench-hello"),
    path("", include("sixcore.urls")),
]
