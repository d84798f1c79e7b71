from events.context import request_scope


class ActorMiddleware:
    """Make the current request (and so its member or staff user) known to event recording."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_scope(request):
            return self.get_response(request)
