import base64
import binascii
import re
from datetime import timedelta

from django.core.validators import RegexValidator
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from api.errors import pointer_token
from api.exceptions import UnprocessableEntity
from api.serializers import ResourceSerializer, ToOneRelatedField, resource_url, to_many, to_one
from events.serializers import audited
from skills import services, sharing
from skills.diffs import ADDED, CHANGED, REMOVED, FileChange, VersionDiff
from skills.discovery.paths import index_url
from skills.git import objects as git
from skills.models import (
    ShareLink,
    Skill,
    SkillCollection,
    SkillCollectionVersion,
    SkillMarketplace,
    SkillPlugin,
)
from skills.validation import SKILL_NAME, TreeError, normalise_path

MEMBER_SERIALIZER = "organizations.serializers.MemberSerializer"
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)


SKILLS_INDEX_HELP = (
    "Base URL of the Agent Skills discovery index (`<it>/.well-known/agent-skills/index.json`, "
    "and the legacy `<it>/.well-known/skills/index.json`): what `skills add` takes. The API key "
    "is needed as for git_url; a share link gives a URL that needs none."
)


class SkillsIndexUrlMixin:
    """`skills_index_url` of a collection, plugin or marketplace (skills/discovery/)."""

    @extend_schema_field({"type": "string", "format": "uri", "readOnly": True})
    def get_skills_index_url(self, target) -> str:
        return index_url(target)


class TooLargeError(ValidationError):
    status_code = 413


def tree_validation_error(error: TreeError) -> ValidationError:
    """A refused tree as a 422 (or 413) pointing at `/data/attributes/files[/<path>]`."""
    detail = ErrorDetail(error.detail, error.code)
    payload = {"files": {pointer_token(error.path): [detail]} if error.path else [detail]}
    return TooLargeError(payload) if error.status == 413 else UnprocessableEntity(payload)


def encode_file(content: bytes) -> str | dict:
    """Text as a string, anything else as `{"base64": ...}`."""
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(content).decode("ascii")}


def decode_file(value) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, dict) and set(value) == {"base64"} and isinstance(value["base64"], str):
        try:
            return base64.b64decode(value["base64"], validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("'base64' is not valid base64.") from None
    raise ValueError('A file is a string or {"base64": "..."}.')


@extend_schema_field(
    {
        "type": "object",
        "description": '`{path: content}`; binary content as `{"base64": "..."}`.',
        "additionalProperties": {
            "oneOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "required": ["base64"],
                    "properties": {"base64": {"type": "string"}},
                },
            ]
        },
    }
)
class FilesField(serializers.Field):
    """`files`: `{path: content}` in, and out on a single version (read from storage)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> dict[str, list[tuple[str, bytes]]]:
        if not isinstance(data, dict) or not data:
            raise ValidationError("'files' must be a non-empty object of path -> content.")
        entries = []
        for path, value in data.items():
            try:
                entries.append((path, decode_file(value)))
            except ValueError as error:
                raise ValidationError({pointer_token(path): [str(error)]}) from None
        # With source="*" the result is merged into the validated data.
        return {"files": entries}

    def to_representation(self, version):
        return {
            path: encode_file(data) for path, data in services.version_contents(version).items()
        }


class ComputedToOne(ToOneRelatedField):
    """A to-one relationship backed by a property, so the whole object is always read."""

    def use_pk_only_optimization(self) -> bool:
        return False


@audited
class SkillCollectionSerializer(SkillsIndexUrlMixin, ResourceSerializer):
    created_by = to_one("skill_collections")
    updated_by = to_one("skill_collections")
    versions = to_many("skill_collections")
    current_version = ComputedToOne(
        read_only=True,
        model=SkillCollectionVersion,
        self_link_view_name="skill_collections-relationships",
        related_link_view_name="skill_collections-related",
    )
    skills = to_many("skill_collections")
    skills_index_url = serializers.SerializerMethodField(help_text=SKILLS_INDEX_HELP)
    git_url = serializers.SerializerMethodField(
        help_text="Clone URL of the collection as a git repository (smart HTTP: clone, fetch, "
        "and push to create a version; authenticate with the API key as a Bearer header or as "
        "the Basic password)."
    )

    included_serializers = {
        "created_by": MEMBER_SERIALIZER,
        "updated_by": MEMBER_SERIALIZER,
        "versions": "skills.serializers.SkillCollectionVersionSerializer",
        "current_version": "skills.serializers.SkillCollectionVersionSerializer",
        "skills": "skills.serializers.SkillSerializer",
    }

    class Meta:
        model = SkillCollection
        resource_name = "skill_collections"
        validators = []  # uniqueness is checked (and labels moved) by hand
        fields = (
            "name",
            "root_path",
            "provider",
            "folder_id",
            "is_deleted",
            "git_url",
            "skills_index_url",
            "created_at",
            "updated_at",
            "created_by",
            "updated_by",
            "versions",
            "current_version",
            "skills",
        )
        read_only_fields = ("is_deleted",)
        extra_kwargs = {"provider": {"required": False}}

    @extend_schema_field({"type": "string", "format": "uri", "readOnly": True})
    def get_git_url(self, collection: SkillCollection) -> str:
        return git.git_url(collection)

    def _unique(self, field: str, value: str) -> str:
        tenant = self.context["request"].auth.tenant
        taken = SkillCollection.objects.for_tenant(tenant).alive().filter(**{field: value})
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(f"A skill collection with this {field} already exists.")
        return value

    def validate_name(self, value: str) -> str:
        return self._unique("name", value)

    def validate_root_path(self, value: str) -> str:
        try:
            value = normalise_path(value)
        except TreeError as error:
            raise ValidationError(error.detail) from None
        return self._unique("root_path", value)


@audited
class SkillCollectionVersionSerializer(ResourceSerializer):
    MUTABLE = ("release_label", "archived")

    files = FilesField(required=True)
    skill_collection = to_one(
        "skill_collection_versions",
        read_only=False,
        queryset=SkillCollection.objects.alive(),
    )
    created_by = to_one("skill_collection_versions")
    skills = to_many("skill_collection_versions")

    included_serializers = {
        "skill_collection": SkillCollectionSerializer,
        "created_by": MEMBER_SERIALIZER,
        "skills": "skills.serializers.SkillSerializer",
    }

    class Meta:
        model = SkillCollectionVersion
        resource_name = "skill_collection_versions"
        validators = []  # uniqueness is checked (and labels moved) by hand
        fields = (
            "number",
            "root_path_at_version",
            "provider",
            "file_paths",
            "commit_message",
            "release_label",
            "archived",
            "user_email",
            "created_at",
            "files",
            "skill_collection",
            "created_by",
            "skills",
        )
        read_only_fields = (
            "number",
            "root_path_at_version",
            "provider",
            "file_paths",
            "user_email",
        )
        extra_kwargs = {"release_label": {"allow_blank": True}}

    def get_fields(self):
        fields = super().get_fields()
        view = self.context.get("view")
        writing = getattr(self.context.get("request"), "method", "GET") in ("POST", "PATCH")
        if getattr(view, "action", None) != "retrieve" and "files" in fields:
            # Only a single-version GET reads the contents back; writes only take them in.
            if writing:
                fields["files"].write_only = True
            else:
                fields.pop("files")
        return fields

    def validate_release_label(self, value: str | None) -> str | None:
        return value.strip() or None if value else None

    def validate(self, attrs):
        if self.instance is not None:
            frozen = {
                name: ["A version is immutable; only release_label and archived change."]
                for name in attrs
                if name not in self.MUTABLE
            }
            if frozen:
                raise ValidationError(frozen)
        return attrs


@extend_schema_field(
    {
        "type": "array",
        "description": "What the Agent Skills spec's reference validator (skills-ref) says of "
        "the SKILL.md; empty when clean. Skillport accepts these skills (as Claude Code does); "
        "agents that follow the spec strictly may refuse them.",
        "items": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "detail": {"type": "string"}},
            "required": ["code", "detail"],
        },
    }
)
class SpecFindingsField(serializers.JSONField):
    pass


class SkillSerializer(ResourceSerializer):
    spec_findings = SpecFindingsField(read_only=True)
    skill_collection = to_one("skills")
    skill_collection_version = to_one("skills")

    included_serializers = {
        "skill_collection": SkillCollectionSerializer,
        "skill_collection_version": SkillCollectionVersionSerializer,
    }

    class Meta:
        model = Skill
        resource_name = "skills"
        validators = []  # uniqueness is checked (and labels moved) by hand
        fields = (
            "name",
            "description",
            "license",
            "compatibility",
            "allowed_tools",
            "metadata",
            "path",
            "spec_findings",
            "created_at",
            "updated_at",
            "skill_collection",
            "skill_collection_version",
        )
        read_only_fields = fields


KEBAB_CASE = "Use kebab-case: a-z, 0-9 and single hyphens, at most 64."
SEMVER_EXAMPLE = "Use a semantic version such as 1.0.0."
# Plugins' and marketplaces' rules, declared on the fields too so the OpenAPI document gives the
# patterns (uniqueness stays in validate_name).
NAME_AND_VERSION = {
    "name": {"validators": [RegexValidator(SKILL_NAME, KEBAB_CASE)]},
    "version": {"validators": [RegexValidator(SEMVER, SEMVER_EXAMPLE)]},
}


def _kebab_name(value: str) -> str:
    if len(value) > 64 or not SKILL_NAME.match(value):
        raise ValidationError(KEBAB_CASE)
    return value


def _person(value, allowed: tuple[str, ...]) -> dict:
    if not isinstance(value, dict) or set(value) - set(allowed):
        raise ValidationError(f"An object with the keys {', '.join(allowed)}.")
    if not all(isinstance(item, str) for item in value.values()):
        raise ValidationError("Every value must be a string.")
    return value


class UniqueNameMixin:
    def _unique_name(self, value: str) -> str:
        value = _kebab_name(value)
        tenant = self.context["request"].auth.tenant
        taken = self.Meta.model.objects.for_tenant(tenant).filter(name=value)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError("This name is already taken in the organization (this mode).")
        return value

    def validate_name(self, value: str) -> str:
        return self._unique_name(value)

    def validate_version(self, value: str) -> str:
        if not SEMVER.match(value):
            raise ValidationError(SEMVER_EXAMPLE)
        return value


@audited
class SkillPluginSerializer(SkillsIndexUrlMixin, UniqueNameMixin, ResourceSerializer):
    skills = to_many("skill_plugins", read_only=False, queryset=Skill.objects, required=False)
    created_by = to_one("skill_plugins")
    skills_index_url = serializers.SerializerMethodField(help_text=SKILLS_INDEX_HELP)
    git_url = serializers.SerializerMethodField(
        help_text="Clone URL of the plugin as a read-only git repository, laid out like its zip "
        "export (smart HTTP; authenticate as for a collection's git_url)."
    )

    included_serializers = {"skills": SkillSerializer, "created_by": MEMBER_SERIALIZER}

    class Meta:
        model = SkillPlugin
        resource_name = "skill_plugins"
        validators = []  # uniqueness is checked (and labels moved) by hand
        extra_kwargs = NAME_AND_VERSION
        fields = (
            *SkillPlugin.MANIFEST_FIELDS,
            "git_url",
            "skills_index_url",
            "created_at",
            "updated_at",
            "skills",
            "created_by",
        )

    @extend_schema_field({"type": "string", "format": "uri", "readOnly": True})
    def get_git_url(self, plugin: SkillPlugin) -> str:
        return git.git_url(plugin)

    def validate_author(self, value) -> dict:
        return _person(value, ("name", "email", "url"))

    def validate_keywords(self, value) -> list:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValidationError("A list of strings.")
        return value


@audited
class SkillMarketplaceSerializer(SkillsIndexUrlMixin, UniqueNameMixin, ResourceSerializer):
    skill_plugins = to_many(
        "skill_marketplaces", read_only=False, queryset=SkillPlugin.objects, required=False
    )
    created_by = to_one("skill_marketplaces")
    skills_index_url = serializers.SerializerMethodField(help_text=SKILLS_INDEX_HELP)
    git_url = serializers.SerializerMethodField(
        help_text="Clone URL of the marketplace as a read-only git repository, laid out like its "
        "zip export (smart HTTP; authenticate as for a collection's git_url)."
    )

    included_serializers = {
        "skill_plugins": SkillPluginSerializer,
        "created_by": MEMBER_SERIALIZER,
    }

    class Meta:
        model = SkillMarketplace
        resource_name = "skill_marketplaces"
        validators = []  # uniqueness is checked (and labels moved) by hand
        extra_kwargs = NAME_AND_VERSION
        fields = (
            "name",
            "owner",
            "description",
            "version",
            "git_url",
            "skills_index_url",
            "created_at",
            "updated_at",
            "skill_plugins",
            "created_by",
        )

    @extend_schema_field({"type": "string", "format": "uri", "readOnly": True})
    def get_git_url(self, marketplace: SkillMarketplace) -> str:
        return git.git_url(marketplace)

    def validate_owner(self, value) -> dict:
        return _person(value, ("name", "email"))


# -- share links -------------------------------------------------------------------------------


@audited
class ShareLinkSerializer(ResourceSerializer):
    """A share link; created for exactly one of `skill_collection`, `skill_plugin`,
    `skill_marketplace`; afterwards only `revoked` changes (to true, for good)."""

    url = serializers.SerializerMethodField(
        help_text="The link (null once revoked): `<url>/.well-known/agent-skills/index.json`, "
        "its archives and `git clone <url>.git`, read-only, with no other credential."
    )
    git_url = serializers.SerializerMethodField(help_text="`<url>.git` (null once revoked).")
    target = serializers.SerializerMethodField(
        help_text="Which relationship the link is for: skill_collection, skill_plugin or "
        "skill_marketplace."
    )
    revoked = serializers.BooleanField(required=False)
    expires_in = serializers.IntegerField(write_only=True, required=False, min_value=1)
    skill_collection = to_one(
        "share_links", read_only=False, required=False, queryset=SkillCollection.objects.alive()
    )
    skill_plugin = to_one(
        "share_links", read_only=False, required=False, queryset=SkillPlugin.objects
    )
    skill_marketplace = to_one(
        "share_links", read_only=False, required=False, queryset=SkillMarketplace.objects
    )
    created_by = to_one("share_links")

    included_serializers = {
        "skill_collection": SkillCollectionSerializer,
        "skill_plugin": SkillPluginSerializer,
        "skill_marketplace": SkillMarketplaceSerializer,
        "created_by": MEMBER_SERIALIZER,
    }

    class Meta:
        model = ShareLink
        resource_name = "share_links"
        fields = (
            "url",
            "git_url",
            "target",
            "version",
            "label",
            "expires_at",
            "expires_in",
            "revoked",
            "revoked_at",
            "created_at",
            "updated_at",
            "skill_collection",
            "skill_plugin",
            "skill_marketplace",
            "created_by",
        )
        read_only_fields = ("revoked_at",)
        extra_kwargs = {
            "version": {"min_value": 1},
            "expires_at": {"required": False},
        }

    @extend_schema_field({"type": "string", "format": "uri", "readOnly": True, "nullable": True})
    def get_url(self, link: ShareLink) -> str | None:
        return None if link.revoked else sharing.share_url(link)

    @extend_schema_field({"type": "string", "format": "uri", "readOnly": True, "nullable": True})
    def get_git_url(self, link: ShareLink) -> str | None:
        return None if link.revoked else f"{sharing.share_url(link)}.git"

    @extend_schema_field({"type": "string", "readOnly": True})
    def get_target(self, link: ShareLink) -> str:
        return link.target_name

    def validate_label(self, value: str | None) -> str | None:
        return value.strip() or None if value else None

    def validate(self, attrs):
        if self.instance is not None:
            return self._validate_update(attrs)
        errors: dict[str, list[str]] = {}
        targets = [name for name in ShareLink.TARGETS if attrs.get(name) is not None]
        if len(targets) != 1:
            message = "Give exactly one of skill_collection, skill_plugin, skill_marketplace."
            for name in targets or ShareLink.TARGETS:
                errors[name] = [message]
            raise ValidationError(errors)
        attrs["target"] = attrs.pop(targets[0])
        if attrs.get("revoked"):
            raise ValidationError({"revoked": ["A new share link is not revoked."]})
        self._validate_pin(attrs)
        attrs["expires_at"] = self._expiry(attrs)
        return attrs

    def _validate_update(self, attrs):
        frozen = {
            name: ["Only 'revoked' of a share link changes."] for name in attrs if name != "revoked"
        }
        if frozen:
            raise ValidationError(frozen)
        if self.instance.revoked and attrs.get("revoked") is False:
            raise ValidationError({"revoked": ["A revoked share link stays revoked."]})
        return attrs

    def _validate_pin(self, attrs) -> None:
        number, label = attrs.get("version"), attrs.get("label")
        if number is None and label is None:
            return
        target = attrs["target"]
        if number is not None and label is not None:
            raise ValidationError({"label": ["Pin a version or a label, not both."]})
        field = "version" if number is not None else "label"
        if not isinstance(target, SkillCollection):
            raise ValidationError({field: ["Only a skill collection link can be pinned."]})
        pin = {"number": number} if number is not None else {"release_label": label}
        if not target.versions.filter(**pin).exists():
            raise ValidationError({field: ["The skill collection has no such version or label."]})

    def _expiry(self, attrs):
        expires_at, expires_in = attrs.get("expires_at"), attrs.pop("expires_in", None)
        if expires_at is not None and expires_in is not None:
            raise ValidationError({"expires_in": ["Give expires_at or expires_in, not both."]})
        now = timezone.now()
        if expires_in is not None:
            expires_at = now + timedelta(seconds=expires_in)
        if expires_at is None:
            return now + sharing.default_lifetime()
        field = "expires_in" if expires_in is not None else "expires_at"
        if expires_at <= now:
            raise ValidationError({field: ["A share link must expire in the future."]})
        if expires_at > now + sharing.max_lifetime():
            days = sharing.max_lifetime().days
            raise ValidationError({field: [f"A share link lives at most {days} days."]})
        return expires_at


# -- version diffs -----------------------------------------------------------------------------

DIFF_TYPE = "skill_collection_version_diffs"


def _file_change(change: FileChange) -> dict:
    return {
        "path": change.path,
        "status": change.status,
        "old_size": change.old.size if change.old else None,
        "new_size": change.new.size if change.new else None,
        "old_sha256": change.old.sha256 if change.old else None,
        "new_sha256": change.new.sha256 if change.new else None,
        "binary": change.binary,
        "diff": change.diff,
        "diff_omitted": change.omitted,
        "lines_added": change.lines_added,
        "lines_removed": change.lines_removed,
    }


def version_diff_document(diff: VersionDiff, request) -> dict:
    """The JSON:API document of a diff: one `skill_collection_version_diffs` resource, its id
    `<against id or "empty">..<version id>`, related to both versions."""
    version, against = diff.version, diff.against

    def version_linkage(instance) -> dict:
        if instance is None:
            return {"data": None}
        url = resource_url("skill_collection_versions-detail", {"pk": instance.pk}, request)
        return {
            "data": {"type": "skill_collection_versions", "id": str(instance.pk)},
            "links": {"related": url},
        }

    counts = diff.counts
    return {
        "data": {
            "type": DIFF_TYPE,
            "id": f"{against.pk if against else 'empty'}..{version.pk}",
            "attributes": {
                "number": version.number,
                "against_number": against.number if against else None,
                "files_added": counts[ADDED],
                "files_removed": counts[REMOVED],
                "files_changed": counts[CHANGED],
                "files_unchanged": diff.unchanged,
                "lines_added": diff.lines_added,
                "lines_removed": diff.lines_removed,
                "truncated": diff.truncated,
                "limits": {
                    "max_file_size": diff.limits.max_file_size,
                    "max_total_size": diff.limits.max_total_size,
                    "max_files": diff.limits.max_files,
                },
                "files": [_file_change(change) for change in diff.files],
            },
            "relationships": {
                "skill_collection_version": version_linkage(version),
                "against_version": version_linkage(against),
            },
            "links": {"self": request.build_absolute_uri()},
            "meta": {
                "mode": version.mode,
                "organization_id": str(version.organization_id),
                "trace_id": getattr(request, "request_id", None),
            },
        },
        "links": {"self": request.build_absolute_uri()},
    }
