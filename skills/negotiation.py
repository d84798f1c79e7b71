from types import SimpleNamespace

from api.negotiation import JsonApiContentNegotiation


class ArchiveAwareNegotiation(JsonApiContentNegotiation):
    """`?format=zip` selects an archive answer here, not a DRF renderer."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)
