"""The SDKs' `multipart/form-data` uploads: `files[]` parts whose file names are paths
(`my-skill/SKILL.md`), read with their folders kept, within the version upload limit."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, MultiPartParser

from skills.parsers import max_upload_size
from skills.serializers import TooLargeError


class _PathKeepingParser(DjangoMultiPartParser):
    """Django keeps only a file name's last component (here and in `UploadedFile.name`); here
    the whole relative path is the point, kept as the file's `path`. It is checked like every
    other path of a version (skills/validation.py)."""

    _part_name: str | None = None

    def sanitize_file_name(self, file_name):
        self._part_name = file_name
        return file_name or None

    def handle_file_complete(self, old_field_name, counters):
        super().handle_file_complete(old_field_name, counters)
        completed = self._files.getlist(old_field_name)
        if completed and not hasattr(completed[-1], "path"):
            completed[-1].path = self._part_name


class SkillFilesParser(MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        request = parser_context["request"]
        limit = max_upload_size()
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django then reads no body at all
        if length > limit:
            raise TooLargeError({"files": [f"An upload may be at most {limit} bytes."]})
        meta = {**request.META, "CONTENT_TYPE": media_type}
        try:
            parser = _PathKeepingParser(meta, stream, request.upload_handlers, "utf-8")
            data, files = parser.parse()
        except RequestDataTooBig:
            raise TooLargeError({"files": ["The form fields are too large."]}) from None
        except (MultiPartParserError, SuspiciousOperation) as error:
            # e.g. more files than Django's DATA_UPLOAD_MAX_NUMBER_FILES
            raise ParseError(f"The multipart form could not be read: {error}") from None
        return DataAndFiles(data, files)
