import hashlib
import secrets

from django.db import models
from django.utils import timezone

from core.models import (
    AccountQuerySet,
    ListCount,
    Mode,
    OrganizationModel,
    Tenant,
    UUIDModel,
    list_index,
)

__all__ = ["ApiKey", "Member", "Mode", "Organization", "Scope", "Team", "hash_key"]


class OrganizationQuerySet(AccountQuerySet):
    organization_path = "pk"


class Organization(UUIDModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)

    objects = OrganizationQuerySet.as_manager()

    # Deleting an organization takes its audit trail with it: the rows its deletion cascades to
    # record no `destroy` events (events/receivers.py reads this flag on the deletion's origin).
    deletes_audit_trail = True

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.slug


class Team(OrganizationModel):
    list_count = ListCount()
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="team_slug_unique"),
        ]
        indexes = [list_index("team", account=True)]

    def __str__(self) -> str:
        return self.name


class Member(OrganizationModel):
    list_count = ListCount()

    class Type(models.TextChoices):
        USER = "user"
        SERVICE = "service"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField()
    image_url = models.URLField(blank=True)
    # JSON:API reserves `type` as a member name, so the attribute is `member_type`.
    member_type = models.CharField(max_length=20, choices=Type.choices, default=Type.USER)
    teams = models.ManyToManyField(Team, related_name="members", blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "email"], name="member_email_unique"),
        ]
        indexes = [list_index("member", account=True)]

    def __str__(self) -> str:
        return self.email

    def audit_actor(self) -> dict:
        """How the audit trail and webhook payloads name this member (events/context.py)."""
        return {"type": "members", "id": str(self.pk), "email": self.email, "name": self.name}

    # DRF treats `request.user` as the authenticated principal.
    is_authenticated = True
    is_anonymous = False


def hash_key(raw_key: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is enough to make a leaked table useless.
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKeyQuerySet(AccountQuerySet):
    def active(self) -> "ApiKeyQuerySet":
        return self.filter(revoked_at__isnull=True)


class Scope(models.TextChoices):
    """What a key may do (Stripe's restricted keys, GitHub's read-only deploy keys): a `read` key
    reads everything its tenant may read and changes nothing (organizations/permissions.py)."""

    READ = "read"
    WRITE = "write"


class ApiKey(OrganizationModel):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=200, blank=True)
    mode = models.CharField(max_length=4, choices=Mode.choices, default=Mode.TEST)
    scope = models.CharField(
        max_length=5,
        choices=Scope.choices,
        default=Scope.WRITE,
        help_text="read: may only read (GET); write: may also create, change and delete.",
    )
    prefix = models.CharField(max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    rate_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Requests per minute; empty for the default."
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.mode}, {self.scope})"

    @property
    def tenant(self) -> Tenant:
        """What this key sees and writes: its organization's data in its own mode."""
        return Tenant(self.organization_id, self.mode)

    @property
    def may_write(self) -> bool:
        return self.scope == Scope.WRITE

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def set_new_key(self) -> str:
        """Generate a fresh secret, keep only its hash, and return it (shown once)."""
        raw_key = f"sk_{self.mode}_{secrets.token_urlsafe(32)}"
        self.prefix = raw_key[:12]
        self.key_hash = hash_key(raw_key)
        return raw_key

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at", "updated_at"])


class RateLimitCounter(models.Model):
    """Requests of one API key in one fixed window (organizations/ratelimit.py)."""

    ident = models.CharField(max_length=64)
    window_start = models.BigIntegerField(db_index=True, help_text="Epoch seconds.")
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ident", "window_start"], name="rate_limit_counter_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ident}@{self.window_start}: {self.hits}"
