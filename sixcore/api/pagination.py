"""The API's pagination: DRF's ``?limit=&offset=`` with a largest page.

DRF passes any positive ``limit`` on to SQL, where a value past the database's integer range
(``?limit=9223372036854775809``) is an error (SQLite: OverflowError; PostgreSQL: out of range), i.e. a
500. Capped, such a request gets the largest page. (An offset past the end never reaches SQL: DRF
answers an empty page once it has counted the rows.)
"""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = 10_000
