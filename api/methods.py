"""Which HTTP methods a routed path serves: the one answer behind `Allow`.

`OPTIONS` (api/middleware.py) reads it off the view the path resolves to, without running the
view: DRF viewsets (their action map), DRF and Django class-based views (their handlers and
`http_method_names`) and function views declared with `allow(...)`. A function view's `405`
comes from the same declaration, as a JSON:API error document carrying `Allow`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import ResolverMatch

from api.exceptions import error_response

# The order `Allow` lists methods in (DRF's own `http_method_names` order).
ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def listed(methods) -> tuple[str, ...]:
    """The methods in `ORDER`, HEAD along with GET, OPTIONS always (answered for every path)."""
    names = {method.upper() for method in methods}
    if "GET" in names:
        names.add("HEAD")
    names.add("OPTIONS")
    return tuple(method for method in ORDER if method in names)


def allow(*methods: str) -> Callable:
    """A function view that serves `methods` only: any other is a JSON:API `405` with `Allow`.

    The list is kept on the view (`allowed_methods`) for `OPTIONS`. A callable instead of names
    takes the URL's keyword arguments and returns the names (a view whose methods depend on them).
    """

    def decorate(view: Callable) -> Callable:
        def allowed(**kwargs) -> tuple[str, ...]:
            if len(methods) == 1 and callable(methods[0]):
                return listed(methods[0](**kwargs))
            return listed(methods)

        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            served = allowed(**kwargs)
            if request.method not in served:
                return method_not_allowed(request.method, served)
            return view(request, *args, **kwargs)

        wrapped.allowed_methods = allowed
        return wrapped

    return decorate


def method_not_allowed(method: str, served: tuple[str, ...]) -> HttpResponse:
    return error_response(
        405,
        "method_not_allowed",
        f'Method "{method}" not allowed.',
        Allow=", ".join(served),
    )


def allowed_methods(match: ResolverMatch) -> tuple[str, ...] | None:
    """The methods the view at `match` serves, or None when it does not say (then the view
    answers `OPTIONS` itself)."""
    view = match.func
    declared = getattr(view, "allowed_methods", None)
    if callable(declared):
        return declared(**match.kwargs)
    actions = getattr(view, "actions", None)
    if actions is not None:  # a DRF viewset's view: the methods bound to an action
        return listed(actions)
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return None
    initkwargs = getattr(view, "view_initkwargs", {})
    names = initkwargs.get("http_method_names", view_class.http_method_names)
    served = listed(name for name in names if hasattr(view_class, name))
    # A catch-all that serves nothing (Metorial's 404 under `/skill-exports/`) answers itself.
    return None if served == ("OPTIONS",) else served
