"""Skill collections and their immutable versions, skills, plugins and marketplaces."""

from django.db import models
from django.db.models import Q

from core.models import ListCount, TenantModel, TenantQuerySet, list_index


class Blob(models.Model):
    """File content stored once by its SHA-256, shared by every version that holds it.

    Not organization-owned (content-addressed, deduplicated across tenants): it is reached only
    through a version's files, which belong to one tenant."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.PositiveBigIntegerField()
    storage_name = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.sha256


class SkillCollectionQuerySet(TenantQuerySet):
    def alive(self) -> "SkillCollectionQuerySet":
        return self.filter(is_deleted=False)


class SkillCollection(TenantModel):
    list_count = ListCount(live={"is_deleted": False})
    name = models.CharField(max_length=200)
    root_path = models.CharField(max_length=500)
    provider = models.CharField(max_length=50, default="generic")
    folder_id = models.BigIntegerField(null=True, blank=True)
    is_deleted = models.BooleanField(default=False, db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "organizations.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        "organizations.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SkillCollectionQuerySet.as_manager()

    class JSONAPIMeta:
        resource_name = "skill_collections"

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "mode", "name"],
                condition=Q(is_deleted=False),
                name="skill_collection_name_unique",
            ),
            models.UniqueConstraint(
                fields=["organization", "mode", "root_path"],
                condition=Q(is_deleted=False),
                name="skill_collection_root_path_unique",
            ),
        ]
        indexes = [
            list_index("skill_collection"),
            # Counts of a tenant's live collections (`alive().count()`) as an index-only scan:
            # the unfiltered list reads api.TenantRowCount instead, filtered lists may start here.
            # Its key repeats, so B-tree deduplication keeps it a few pages per 100k rows, where
            # the list index or the table are many times larger.
            models.Index(
                fields=["organization", "mode"],
                condition=Q(is_deleted=False),
                name="skill_collection_live_count",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def current_version(self) -> "SkillCollectionVersion | None":
        """The pinned version when a request pinned one, else the latest non-archived one."""
        if hasattr(self, "_pinned_version"):
            return self._pinned_version
        if hasattr(self, "_current_versions"):
            return self._current_versions[0] if self._current_versions else None
        return self.versions.filter(archived=False).order_by("-number").first()


class VersionQuerySet(TenantQuerySet):
    def current(self) -> "VersionQuerySet":
        """Each collection's latest non-archived version, in one query for many collections."""
        latest = (
            SkillCollectionVersion.objects.filter(
                skill_collection=models.OuterRef("skill_collection"), archived=False
            )
            .order_by("-number")
            .values("pk")[:1]
        )
        return self.filter(pk=models.Subquery(latest))


class SkillCollectionVersion(TenantModel):
    list_count = ListCount()
    skill_collection = models.ForeignKey(
        SkillCollection, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    root_path_at_version = models.CharField(max_length=500)
    provider = models.CharField(max_length=50)
    commit_message = models.TextField(blank=True, default="")
    release_label = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    archived = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        "organizations.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_email = models.EmailField(blank=True, default="")
    file_paths = models.JSONField(default=list)
    file_count = models.PositiveIntegerField(default=0)
    total_size = models.PositiveBigIntegerField(default=0)
    digest = models.CharField(max_length=64, help_text="SHA-256 of the sorted (path, blob) list.")
    # Kept from a `git push` so the version's commit is the pushed one (same id): the raw commit
    # object (author, committer, dates, time zones, message, signature, byte for byte). None for
    # versions made otherwise, whose commit Skillport derives.
    git_commit = models.BinaryField(null=True, blank=True, editable=False)
    # Git file modes other than 100644 (executables pushed as 100755): {path: "100755"}.
    file_modes = models.JSONField(default=dict, blank=True)

    objects = VersionQuerySet.as_manager()

    class JSONAPIMeta:
        resource_name = "skill_collection_versions"

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["skill_collection", "number"], name="skill_collection_version_number_unique"
            ),
            models.UniqueConstraint(
                fields=["skill_collection", "release_label"],
                condition=Q(release_label__isnull=False),
                name="skill_collection_version_label_unique",
            ),
        ]
        indexes = [list_index("skill_collection_version")]

    def __str__(self) -> str:
        return f"{self.skill_collection} v{self.number}"


class VersionFileQuerySet(TenantQuerySet):
    organization_path = "version__organization"
    mode_path = "version__mode"


class VersionFile(models.Model):
    """One path of one version, pointing at its content blob."""

    id = models.BigAutoField(primary_key=True)
    version = models.ForeignKey(
        SkillCollectionVersion, on_delete=models.CASCADE, related_name="files"
    )
    path = models.CharField(max_length=1024)
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")

    objects = VersionFileQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["version", "path"], name="version_file_path_unique"),
        ]

    def __str__(self) -> str:
        return self.path


class Skill(TenantModel):
    """One folder holding a SKILL.md; the id is stable across versions of a collection."""

    list_count = ListCount()

    skill_collection = models.ForeignKey(
        SkillCollection, on_delete=models.CASCADE, related_name="skills"
    )
    path = models.CharField(max_length=1024, help_text="The skill folder, '' for the root.")
    name = models.CharField(max_length=64)
    description = models.TextField()
    license = models.CharField(max_length=500, blank=True, default="")
    compatibility = models.CharField(max_length=500, blank=True, default="")
    allowed_tools = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # The SKILL.md body after the frontmatter (its first SEARCH_BODY_LIMIT characters), searched.
    body = models.TextField(blank=True, default="")
    # What the Agent Skills reference validator says of the SKILL.md: [{code, detail}].
    spec_findings = models.JSONField(default=list, blank=True)
    # The latest version that has this skill.
    skill_collection_version = models.ForeignKey(
        SkillCollectionVersion, on_delete=models.CASCADE, related_name="latest_skills"
    )
    versions = models.ManyToManyField(SkillCollectionVersion, related_name="skills")

    class JSONAPIMeta:
        resource_name = "skills"

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["skill_collection", "path"], name="skill_path_unique"),
        ]
        indexes = [list_index("skill")]

    def __str__(self) -> str:
        return self.name


class SkillPlugin(TenantModel):
    # What its `plugin.json` is made of: the API's attributes and the git history's replay.
    MANIFEST_FIELDS = (
        "name",
        "version",
        "description",
        "author",
        "homepage",
        "repository",
        "license",
        "keywords",
    )
    list_count = ListCount()
    name = models.CharField(max_length=64)
    version = models.CharField(max_length=64, default="0.1.0")
    description = models.TextField(blank=True, default="")
    author = models.JSONField(default=dict, blank=True)
    homepage = models.URLField(blank=True, default="")
    repository = models.URLField(blank=True, default="")
    license = models.CharField(max_length=100, blank=True, default="")
    keywords = models.JSONField(default=list, blank=True)
    skills = models.ManyToManyField(Skill, related_name="plugins", blank=True)
    created_by = models.ForeignKey(
        "organizations.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class JSONAPIMeta:
        resource_name = "skill_plugins"

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "mode", "name"], name="skill_plugin_name_unique"
            ),
        ]
        indexes = [list_index("skill_plugin")]

    def __str__(self) -> str:
        return self.name


class SkillMarketplace(TenantModel):
    list_count = ListCount()
    name = models.CharField(max_length=64)
    owner = models.JSONField(default=dict, blank=True)
    description = models.TextField(blank=True, default="")
    version = models.CharField(max_length=64, default="0.1.0")
    skill_plugins = models.ManyToManyField(SkillPlugin, related_name="marketplaces", blank=True)
    created_by = models.ForeignKey(
        "organizations.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class JSONAPIMeta:
        resource_name = "skill_marketplaces"

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "mode", "name"], name="skill_marketplace_name_unique"
            ),
        ]
        indexes = [list_index("skill_marketplace")]

    def __str__(self) -> str:
        return self.name


class BundleLayoutEpoch(TenantModel):
    """Since when a tenant's plugin and marketplace repositories are laid out in `layout`
    (skills/bundles/layouts.py `LAYOUTS`). Written once, by the migration that introduced the
    layout, for each tenant that already had plugins or marketplaces then: their history keeps
    every commit from before and gains one commit switching to the layout at `since`
    (skills/bundles/history.py). A tenant without one lays everything out in the newest layout."""

    layout = models.PositiveSmallIntegerField()
    since = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "mode", "layout"], name="bundle_layout_epoch_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"layout {self.layout} since {self.since.isoformat()}"


class GitBlobId(models.Model):
    """The git blob id of a stored blob, derived once (skills/git/collection_repo.py) so that
    later clones and fetches name a file without reading it; the content stays only in the Blob's
    storage."""

    blob = models.OneToOneField(Blob, primary_key=True, on_delete=models.CASCADE, related_name="+")
    git_id = models.CharField(max_length=40)

    def __str__(self) -> str:
        return self.git_id


class SkillArchive(models.Model):
    """What the discovery index says of one skill's deterministic zip (skills/discovery/
    archives.py), derived once per content: the archive's SHA-256 and size, and the description
    its SKILL.md gives. Not organization-owned (like Blob and GitBlobId): the key is
    a digest of the archive's entries (relative paths and blob hashes), so equal skills of any
    tenant share one row, and the archive bytes are rebuilt from the blobs on each download."""

    key = models.CharField(max_length=64, primary_key=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    description = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.sha256


class ShareLink(TenantModel):
    """A credential-free, read-only URL for one collection, plugin or marketplace (its discovery
    index, archives and git repository), optionally pinned to a version number or a release
    label of a collection. The URL's token is signed, not stored (skills/sharing.py): it stops
    working when the link expires or is revoked."""

    TARGETS = ("skill_collection", "skill_plugin", "skill_marketplace")

    list_count = ListCount()

    skill_collection = models.ForeignKey(
        SkillCollection, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    skill_plugin = models.ForeignKey(
        SkillPlugin, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    skill_marketplace = models.ForeignKey(
        SkillMarketplace, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    version = models.PositiveIntegerField(null=True, blank=True)
    label = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "organizations.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class JSONAPIMeta:
        resource_name = "share_links"

    class Meta:
        ordering = ["-created_at"]
        indexes = [list_index("share_link")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        skill_collection__isnull=False,
                        skill_plugin__isnull=True,
                        skill_marketplace__isnull=True,
                    )
                    | Q(
                        skill_collection__isnull=True,
                        skill_plugin__isnull=False,
                        skill_marketplace__isnull=True,
                    )
                    | Q(
                        skill_collection__isnull=True,
                        skill_plugin__isnull=True,
                        skill_marketplace__isnull=False,
                    )
                ),
                name="share_link_one_target",
            ),
            models.CheckConstraint(
                condition=Q(version__isnull=True) | Q(label__isnull=True),
                name="share_link_one_pin",
            ),
        ]

    def __str__(self) -> str:
        return f"share link to {self.target}"

    @property
    def target_name(self) -> str:
        """Which relationship the link is for."""
        return next(name for name in self.TARGETS if getattr(self, f"{name}_id") is not None)

    @property
    def target(self) -> "SkillCollection | SkillPlugin | SkillMarketplace":
        return getattr(self, self.target_name)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
