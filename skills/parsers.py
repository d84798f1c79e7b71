import io
import tempfile

from rest_framework.parsers import BaseParser

from api.parsers import JsonApiParser
from skills.conf import skills_conf
from skills.serializers import TooLargeError
from skills.validation import get_limits

SPOOL_IN_MEMORY = 8 * 1024 * 1024


def max_upload_size() -> int:
    return skills_conf.MAX_UPLOAD_SIZE or get_limits().max_version_size + 16 * 1024 * 1024


class ZipUploadParser(BaseParser):
    """`application/zip` bodies, spooled to disk past 8 MiB, refused past the upload limit."""

    media_type = "application/zip"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_upload_size()
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        received = 0
        while chunk := stream.read(256 * 1024):
            received += len(chunk)
            if received > limit:
                spool.close()
                raise TooLargeError(
                    {"files": [f"A zip upload may be at most {limit} bytes."]}, "upload_too_large"
                )
            spool.write(chunk)
        spool.seek(0)
        return spool


class LargeJsonApiParser(BaseParser):
    """JSON:API bodies up to the version limit (base64 included), not Django's 2.5 MB default.

    DRF reads `request.body` for its own JSON parsers, which enforces
    DATA_UPLOAD_MAX_MEMORY_SIZE; this parser reads the stream itself, within its own bound.
    """

    media_type = JsonApiParser.media_type
    renderer_class = JsonApiParser.renderer_class

    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_upload_size() * 4 // 3 + 1024 * 1024
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise TooLargeError({"files": [f"A version document may be at most {limit} bytes."]})
        return JsonApiParser().parse(io.BytesIO(body), media_type, parser_context)
