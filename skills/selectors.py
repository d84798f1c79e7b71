"""Reads of the skills registry: identifier lookups and version pinning."""

import contextlib
import uuid

from django.db.models import Prefetch, Q, QuerySet

from api.parameters import MAX_INTEGER, integer_parameter
from core.errors import InvalidParameter, NotFound, UnknownParameterValue
from skills.models import Skill, SkillCollection, SkillCollectionVersion

LABEL_LENGTH = SkillCollectionVersion._meta.get_field("release_label").max_length


def current_version_prefetch(prefix: str = "") -> Prefetch:
    """Each collection's current version (at `prefix`) in one query for the whole page."""
    return Prefetch(
        f"{prefix}versions",
        queryset=SkillCollectionVersion.objects.current().prefetch_related("skills"),
        to_attr="_current_versions",
    )


def included_collection_prefetches(prefix: str) -> list:
    """What an included skill collection needs for its relationships' data."""
    return [
        f"{prefix}versions",
        f"{prefix}skills",
        current_version_prefetch(prefix),
        f"{prefix}created_by__teams",
        f"{prefix}updated_by__teams",
    ]


def collections_with_current_version(queryset: QuerySet) -> QuerySet:
    return queryset.prefetch_related(current_version_prefetch())


def collection_by_identifier(queryset: QuerySet, identifier: str) -> SkillCollection | None:
    """A collection by UUID, `name` or `root_path`; the UUID wins, then live collections."""
    if "\0" in identifier:  # no name holds one (and PostgreSQL cannot compare it)
        return None
    condition = Q(name=identifier) | Q(root_path=identifier)
    with contextlib.suppress(ValueError):
        condition |= Q(pk=uuid.UUID(identifier))
    matches = list(queryset.filter(condition)[:10])
    for collection in matches:
        if str(collection.pk) == identifier.lower():
            return collection
    live = [collection for collection in matches if not collection.is_deleted]
    return live[0] if live else None


def parse_pin(query_params) -> tuple[int | None, str | None]:
    """`version=N` or `label=L` (never both); a malformed value is a 400."""
    version, label = query_params.get("version"), query_params.get("label")
    if version is not None and label is not None:
        raise InvalidParameter("label", "Give 'version' or 'label', not both.")
    if version is not None:
        return integer_parameter(query_params, "version"), None
    if label is not None and (not label.strip() or "\0" in label or len(label) > LABEL_LENGTH):
        raise InvalidParameter(
            "label", f"'label' is a release label (1-{LABEL_LENGTH} characters)."
        )
    return None, label


def pinned_version(
    collection: SkillCollection, number: int | None, label: str | None
) -> SkillCollectionVersion | None:
    """The version a pin selects (404 when unknown), or the current one without a pin."""
    if number is None and label is None:
        return collection.current_version
    versions = SkillCollectionVersion.objects.filter(skill_collection=collection)
    found = (
        versions.filter(number=number).first()
        if number is not None
        else versions.filter(release_label=label).first()
    )
    if found is None:
        what = f"version {number}" if number is not None else f"label '{label}'"
        raise NotFound(f"This skill collection has no {what}.")
    return found


def diff_base(
    versions: QuerySet, version: SkillCollectionVersion, against: str | None
) -> SkillCollectionVersion | None:
    """What `version` is compared with: the version of its collection that `against` names (a
    number, else a release label; 404 when none), or without it the previous version (None for
    the first: the empty tree). `versions` is already narrowed to the tenant."""
    siblings = versions.filter(skill_collection_id=version.skill_collection_id)
    if against is None:
        return siblings.filter(number__lt=version.number).order_by("-number").first()
    if not against.strip() or "\0" in against or len(against) > LABEL_LENGTH:
        raise InvalidParameter(
            "against",
            f"'against' is a version number or a release label (1-{LABEL_LENGTH} characters).",
        )
    condition = Q(release_label=against)
    if against.isascii() and against.isdigit() and int(against) <= MAX_INTEGER:
        condition |= Q(number=int(against))
    # A number wins over a release label spelled like one.
    matches = sorted(
        siblings.filter(condition)[:2], key=lambda found: found.release_label == against
    )
    if not matches:
        raise UnknownParameterValue(
            "against", f"This skill collection has no version or release label '{against}'."
        )
    return matches[0]


def skill_ids_by_path(version_id: str) -> dict[str, str]:
    """A version's skills, id by `path` (what `meta.skill_lids` of its atomic `add` names)."""
    rows = Skill.objects.filter(versions=version_id).values_list("path", "pk")
    return {path: str(pk) for path, pk in rows}
