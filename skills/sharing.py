"""Share links: a credential-free, read-only URL for one collection, plugin or marketplace.

The URL is `<public url>/share/<token>`, the token the link's id signed with the server's
secret (`django.core.signing`, salted for share links): it cannot be guessed, nothing secret is
stored, and the URL can be shown on every read, as a file link's is. Every request checks the
link's row, so revoking or expiry works at once; a token of a revoked, expired or unknown link,
or of a target that is gone, reaches nothing (404). Rotating `SECRET_KEY` without keeping the old
one in `SECRET_KEY_FALLBACKS` ends every share link, as it ends every download link.
"""

import uuid
from datetime import datetime, timedelta

from django.core import signing
from django.utils import timezone

from core.models import Tenant
from events.conf import events_conf
from skills.conf import skills_conf
from skills.models import ShareLink, SkillCollection, SkillMarketplace, SkillPlugin

SALT = "skillport.share_links"
PATH = "/share/"


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT, sep=".", algorithm="sha256")


def token(link: ShareLink) -> str:
    return _signer().sign(link.pk.hex)


def share_path(link: ShareLink) -> str:
    return f"{PATH}{token(link)}"


def share_url(link: ShareLink) -> str:
    """The link's URL on the public base (`<url>.git` clones, `<url>/.well-known/...` indexes)."""
    return events_conf.PUBLIC_URL.rstrip("/") + share_path(link)


def default_lifetime() -> timedelta:
    return timedelta(seconds=int(skills_conf.SHARE_LINK_EXPIRES))


def max_lifetime() -> timedelta:
    return timedelta(seconds=int(skills_conf.SHARE_LINK_MAX_EXPIRES))


def live_link(raw: str) -> ShareLink | None:
    """The live link a token names (its target loaded), or None."""
    try:
        link_id = uuid.UUID(hex=_signer().unsign(raw))
    except (signing.BadSignature, ValueError):
        return None
    link = (
        ShareLink.objects.select_related("skill_collection", "skill_plugin", "skill_marketplace")
        .filter(pk=link_id, revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if link is None:
        return None
    target = link.target
    if isinstance(target, SkillCollection) and target.is_deleted:
        return None
    return link


# -- writes ------------------------------------------------------------------------------------


def create_share_link(
    *,
    tenant: Tenant,
    actor,
    target: SkillCollection | SkillPlugin | SkillMarketplace,
    version: int | None = None,
    label: str | None = None,
    expires_at: datetime | None = None,
) -> ShareLink:
    relationship = {
        SkillCollection: "skill_collection",
        SkillPlugin: "skill_plugin",
        SkillMarketplace: "skill_marketplace",
    }[type(target)]
    return ShareLink.objects.create(
        **tenant.owner_fields(),
        **{relationship: target},
        version=version,
        label=label or None,
        expires_at=expires_at or timezone.now() + default_lifetime(),
        created_by=actor,
    )


def revoke(link: ShareLink) -> ShareLink:
    """Revoked for good (a revoked link is never live again); saved, so the audit trail has it."""
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at", "updated_at"])
    return link
