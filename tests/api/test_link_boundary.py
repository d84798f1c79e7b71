"""No door (here the ORM, as a shell or a management command uses it) links two tenants.

Every foreign key and many-to-many between tenant-owned rows joins rows of one organization,
and of one mode when both rows have a mode; a row's organization and mode never change once it
exists. The API keeps these rules too, but they are enforced below it (core/boundaries.py), so
the admin, a shell or a future surface cannot walk past them.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.boundaries import TenancyBoundaryError
from events.models import Event, EventCallback, EventStore, Webhook, WebhookDelivery
from exports.models import Export, SkillExport
from files.models import File, FileLink
from organizations.models import ApiKey, Member, Organization, Team
from skills.models import (
    Skill,
    SkillCollection,
    SkillCollectionVersion,
    SkillMarketplace,
    SkillPlugin,
)
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

_serial = iter(range(1_000_000))


def build(kind: str, organization: Organization, mode: str):
    """An unsaved row of `kind` in (organization, mode) whose links are rows of that tenant."""
    n = next(_serial)
    owner = {"organization": organization, "mode": mode}
    if kind == "member":
        return Member(organization=organization, email=f"m{n}@example.com")
    if kind == "team":
        return Team(organization=organization, name=f"team {n}", slug=f"team-{n}")
    if kind == "api_key":
        key = ApiKey(organization=organization, member=make("member", organization, mode))
        key.set_new_key()
        return key
    if kind == "collection":
        member = make("member", organization, mode)
        return SkillCollection(
            **owner, name=f"c{n}", root_path=f"skills-{n}", created_by=member, updated_by=member
        )
    if kind == "version":
        return SkillCollectionVersion(
            **owner,
            skill_collection=make("collection", organization, mode),
            number=1,
            root_path_at_version="skills",
            provider="generic",
            digest="0" * 64,
            file_paths=["SKILL.md"],
            created_by=make("member", organization, mode),
        )
    if kind == "skill":
        version = make("version", organization, mode)
        return Skill(
            **owner,
            skill_collection=version.skill_collection,
            skill_collection_version=version,
            path=f"s{n}",
            name=f"s{n}",
            description="A skill.",
        )
    if kind == "plugin":
        return SkillPlugin(**owner, name=f"p{n}", created_by=make("member", organization, mode))
    if kind == "marketplace":
        return SkillMarketplace(
            **owner, name=f"m{n}", created_by=make("member", organization, mode)
        )
    if kind == "export":
        return Export(
            **owner, resource_type="members", created_by=make("member", organization, mode)
        )
    if kind == "file":
        return File(
            **owner,
            file_name=f"f{n}.zip",
            file_size=1,
            file_type="application/zip",
            purpose=File.Purpose.SKILL_EXPORT,
            sha256="0" * 64,
            storage_name=f"files/f{n}.zip",
            created_by=make("member", organization, mode),
        )
    if kind == "file_link":
        return FileLink(
            **owner,
            file=make("file", organization, mode),
            expires_at=timezone.now() + timedelta(hours=1),
            created_by=make("member", organization, mode),
        )
    if kind == "skill_export":
        skill = make("skill", organization, mode)
        file = make("file", organization, mode)
        return SkillExport(
            **owner,
            target=SkillExport.Target.SKILL,
            skill=skill,
            skill_plugin=make("plugin", organization, mode),
            skill_marketplace=make("marketplace", organization, mode),
            file=file,
            file_link=make("file_link", organization, mode),
            created_by=make("member", organization, mode),
        )
    if kind == "webhook":
        return Webhook(**owner, topic="teams.update", callback_url="https://93.184.216.34/h")
    if kind == "event_store":
        return EventStore(**owner, resource_type="teams", resource_id=str(n), event="x", name="x")
    if kind == "event":
        return Event(
            **owner,
            event_store=make("event_store", organization, mode),
            name="teams.update",
            resource_type="teams",
            resource_id=str(n),
        )
    if kind == "delivery":
        return WebhookDelivery(
            **owner,
            webhook=make("webhook", organization, mode),
            event=make("event", organization, mode),
            next_attempt_at=timezone.now(),
        )
    if kind == "callback":
        return EventCallback(
            **owner,
            webhook=make("webhook", organization, mode),
            event=make("event", organization, mode),
            delivery=make("delivery", organization, mode),
            callback_url="https://93.184.216.34/h",
        )
    raise AssertionError(kind)


def make(kind: str, organization: Organization, mode: str):
    row = build(kind, organization, mode)
    row.save()
    return row


# (row kind, its field, the kind of row the field points at)
FOREIGN_KEYS = [
    ("version", "skill_collection", "collection"),
    ("skill", "skill_collection", "collection"),
    ("skill", "skill_collection_version", "version"),
    ("collection", "created_by", "member"),
    ("collection", "updated_by", "member"),
    ("version", "created_by", "member"),
    ("plugin", "created_by", "member"),
    ("marketplace", "created_by", "member"),
    ("export", "created_by", "member"),
    ("file", "created_by", "member"),
    ("file_link", "file", "file"),
    ("file_link", "created_by", "member"),
    ("skill_export", "skill", "skill"),
    ("skill_export", "skill_plugin", "plugin"),
    ("skill_export", "skill_marketplace", "marketplace"),
    ("skill_export", "file", "file"),
    ("skill_export", "file_link", "file_link"),
    ("skill_export", "created_by", "member"),
    ("delivery", "webhook", "webhook"),
    ("delivery", "event", "event"),
    ("callback", "webhook", "webhook"),
    ("callback", "event", "event"),
    ("callback", "delivery", "delivery"),
    ("event", "event_store", "event_store"),
    ("api_key", "member", "member"),
]
MANY_TO_MANY = [
    ("skill", "versions", "version"),
    ("plugin", "skills", "skill"),
    ("marketplace", "skill_plugins", "plugin"),
    ("member", "teams", "team"),
]
ACCOUNT_LEVEL = {"member", "team", "api_key"}


def _cases(relations):
    for kind, field, target in relations:
        yield pytest.param(kind, field, target, "organization", id=f"{kind}.{field}-organization")
        # Account-level rows are shared by both modes of their organization.
        if target not in ACCOUNT_LEVEL and kind not in ACCOUNT_LEVEL:
            yield pytest.param(kind, field, target, "mode", id=f"{kind}.{field}-mode")


@pytest.fixture
def home():
    return OrganizationFactory()


def foreign_tenant(home, across: str) -> tuple[Organization, str]:
    """Another tenant than (home, test): another organization, or the same one's live mode."""
    return (OrganizationFactory(), "test") if across == "organization" else (home, "live")


def stored(model) -> int:
    return model._base_manager.count()


@pytest.mark.parametrize(("kind", "field", "target", "across"), list(_cases(FOREIGN_KEYS)))
@pytest.mark.parametrize("how", ["instance", "id"])
def test_a_new_row_linked_across_tenants_is_refused(home, kind, field, target, across, how):
    other = make(target, *foreign_tenant(home, across))
    row = build(kind, home, "test")
    if how == "instance":
        setattr(row, field, other)
    else:  # Only the id: the rule looks the other row up.
        setattr(row, type(row)._meta.get_field(field).attname, other.pk)
    model = type(row)
    before = stored(model)
    with pytest.raises(TenancyBoundaryError, match=field) as refused, transaction.atomic():
        row.save()
    assert across in str(refused.value)
    assert stored(model) == before
    with pytest.raises(ValidationError, match=field):
        row.full_clean()


@pytest.mark.parametrize(("kind", "field", "target", "across"), list(_cases(FOREIGN_KEYS)))
def test_a_saved_row_relinked_across_tenants_is_refused(home, kind, field, target, across):
    if kind in {"event", "event_store"}:
        pytest.skip("events are append-only")
    row = make(kind, home, "test")
    kept = getattr(row, type(row)._meta.get_field(field).attname)
    setattr(row, field, make(target, *foreign_tenant(home, across)))
    with pytest.raises(TenancyBoundaryError, match=field), transaction.atomic():
        row.save()
    fresh = type(row)._base_manager.get(pk=row.pk)
    assert getattr(fresh, type(row)._meta.get_field(field).attname) == kept


@pytest.mark.parametrize(("kind", "field", "target", "across"), list(_cases(MANY_TO_MANY)))
@pytest.mark.parametrize("how", ["add", "set", "reverse"])
def test_a_many_to_many_link_across_tenants_is_refused(home, kind, field, target, across, how):
    row = make(kind, home, "test")
    other = make(target, *foreign_tenant(home, across))
    relation = type(row)._meta.get_field(field)
    with pytest.raises(TenancyBoundaryError, match=field), transaction.atomic():
        if how == "add":
            getattr(row, field).add(other)
        elif how == "set":
            getattr(row, field).set([other])
        else:
            getattr(other, relation.remote_field.get_accessor_name()).add(row)
    assert not relation.remote_field.through.objects.exists()


@pytest.mark.parametrize(("kind", "field", "target"), [c[:3] for c in FOREIGN_KEYS])
def test_links_within_one_tenant_still_work(home, kind, field, target):
    row = build(kind, home, "live" if kind not in ACCOUNT_LEVEL else "test")
    row.save()
    # A live row may name a member: members are shared by both modes.
    setattr(row, field, make(target, home, "live"))
    if kind not in {"event", "event_store"}:
        row.full_clean(validate_unique=False, validate_constraints=False)
        row.save()


@pytest.mark.parametrize(("kind", "field", "target"), [c[:3] for c in MANY_TO_MANY])
def test_many_to_many_within_one_tenant_still_works(home, kind, field, target):
    row = make(kind, home, "live")
    others = [make(target, home, "live"), make(target, home, "live")]
    getattr(row, field).add(others[0])
    getattr(row, field).set(others)
    assert set(getattr(row, field).all()) == set(others)


@pytest.mark.parametrize("kind", ["collection", "skill", "plugin", "file_link", "webhook"])
@pytest.mark.parametrize("loaded", [False, True])
@pytest.mark.parametrize(
    ("attribute", "value"), [("organization", "other"), ("mode", "live")], ids=["org", "mode"]
)
def test_organization_and_mode_are_fixed_once_a_row_exists(home, kind, loaded, attribute, value):
    row = make(kind, home, "test")
    model = type(row)
    if loaded:
        row = model._base_manager.get(pk=row.pk)
    setattr(row, attribute, OrganizationFactory() if value == "other" else value)
    with pytest.raises(TenancyBoundaryError, match=attribute), transaction.atomic():
        row.save()
    with pytest.raises(ValidationError, match=attribute):
        row.full_clean()
    fresh = model._base_manager.get(pk=row.pk)
    assert (fresh.organization_id, fresh.mode) == (home.pk, "test")
    with pytest.raises(TenancyBoundaryError):
        model.objects.filter(pk=row.pk).update(**{attribute: getattr(row, attribute)})


def test_an_account_level_rows_organization_is_fixed(home):
    member = Member.objects.get(pk=make("member", home, "test").pk)
    member.organization = OrganizationFactory()
    with pytest.raises(TenancyBoundaryError, match="organization"):
        member.save()
    assert Member.objects.get(pk=member.pk).organization_id == home.pk


def test_bulk_writes_keep_the_boundary(home):
    other = make("version", OrganizationFactory(), "test")
    skill = build("skill", home, "test")
    skill.skill_collection_version = other
    with pytest.raises(TenancyBoundaryError, match="skill_collection_version"):
        Skill.objects.bulk_create([skill])
    assert not Skill.objects.filter(path=skill.path).exists()

    saved = make("skill", home, "test")
    saved.skill_collection_version = make("version", home, "live")
    with pytest.raises(TenancyBoundaryError, match="mode"):
        Skill.objects.bulk_update([saved], ["skill_collection_version"])

    delivery = build("delivery", home, "test")
    delivery.webhook = make("webhook", home, "live")
    with pytest.raises(TenancyBoundaryError, match="webhook"):
        WebhookDelivery.objects.bulk_create([delivery])
    assert not WebhookDelivery.objects.filter(pk=delivery.pk).exists()


def test_a_form_can_check_many_to_many_choices_before_saving(home):
    from core.boundaries import check_many_to_many

    plugin = make("plugin", home, "test")
    ours, theirs = make("skill", home, "test"), make("skill", OrganizationFactory(), "test")
    check_many_to_many(plugin, "skills", [ours])
    with pytest.raises(TenancyBoundaryError, match="skills") as refused:
        check_many_to_many(plugin, "skills", [ours, theirs])
    assert "crosses organizations" in str(refused.value)
    assert str(theirs.pk) in str(refused.value)


def test_a_refusal_says_why(home):
    plugin = make("plugin", home, "test")
    live = make("skill", home, "live")
    with pytest.raises(TenancyBoundaryError) as refused:
        plugin.skills.add(live)
    (message,) = refused.value.message_dict["skills"]
    assert message == (
        f"skills: skills.SkillPlugin {plugin.pk} (organization {home.pk}, mode test) cannot "
        f"link skills.Skill {live.pk} (organization {home.pk}, mode live): the link crosses "
        "modes; a relation joins rows of one organization and mode."
    )


def test_an_unfinished_form_gets_only_its_own_errors(home):
    version = make("version", home, "test")
    skill = Skill(skill_collection_version=version, skill_collection=version.skill_collection)
    with pytest.raises(ValidationError) as refused:
        skill.full_clean()
    assert {"organization", "mode"} <= set(refused.value.message_dict)
    assert "__all__" not in refused.value.message_dict
