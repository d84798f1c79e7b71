"""Helpers of the discovery index tests: the URLs of a resource's index and a zip reader."""

import hashlib
import io
import zipfile

from skills.discovery.paths import index_path
from tests.skills.factories import SkillCollectionFactory, create_version

AGENT_SKILLS = "/.well-known/agent-skills"
LEGACY = "/.well-known/skills"


def index_of(target, pin: str = "") -> str:
    """`<skills_index_url path><pin>/.well-known/agent-skills/index.json`."""
    return f"{index_path(target)}{pin}{AGENT_SKILLS}/index.json"


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def digest(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def content(response) -> bytes:
    """The body of a plain or streamed response."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def two_versions(api_key, first: dict, second: dict):
    """A collection of the key's organization: `first` labelled `stable`, then `second`."""
    collection = SkillCollectionFactory(
        organization=api_key.organization, created_by=api_key.member
    )
    create_version(collection, first, release_label="stable")
    create_version(collection, second)
    return collection
