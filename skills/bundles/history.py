"""The history of a plugin's or marketplace's content, derived at read time from data that has
a history of its own (skills/git/bundle_repo.py makes each state a commit).

A plugin's content is its manifest fields, the skills it links and each skill's files at the
skill's latest version; a marketplace's is its own fields and its plugins' content. Their
histories are in the data:

- the linked skills' versions (immutable, with their creation time and creator);
- the audit versions of the plugin or marketplace and of a marketplace's plugins (events app:
  `changes` = `{attribute: [old, new]}`, forward link edits as `{"skills": [old ids, new ids]}`
  or `{"skill_plugins": [...]}`, and who made them).

Each of those is a change point, in time order (ties: audit before version, then by id); at each
one the state as of then is rebuilt (fields and links as of then, each linked skill's files at
its latest version at or before then) and laid out exactly like the zip export
(skills/bundles/layouts.py), and a snapshot is emitted only when the laid-out content differs
from the previous one. One service call that saves a row and then sets its links writes several
audit versions (`set()` is a removal and an addition); link edits that follow an edit of the
same row by the same actor within `RELATION_EDIT_WINDOW` are one change with it.

The replay is checked against the current rows: when it does not explain them (a change that
was not audited: a link edited from the other side, e.g. `skill.plugins.add()`, a
`QuerySet.update()`, rows written before tracking), one more snapshot of the current content
is emitted, dated at the newest `updated_at` or version time involved. So the last snapshot is
always the current content, and nothing depends on when the repository is read.

Each state is laid out in the layout (layouts.LAYOUTS) in effect for the tenant at its time:
the tenant's `BundleLayoutEpoch` rows say since when each layout holds (written by the
migration that introduced it, for tenants that had plugins or marketplaces then); before the
first, the layout before it; a tenant without any uses the newest throughout. Each epoch is
one more change point: the state as of then, laid out anew, by Skillport, with the message
`Layout: <what changed>`, when that changes the content. So a layout change keeps every earlier
commit and adds one on top (clones fast-forward), and a fresh install's history is in the newest
layout from its first commit.
"""

import hashlib
import json
import posixpath
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from core.models import Tenant
from events.models import Version as AuditVersion
from events.registry import tracking_for_model
from skills.bundles import layouts
from skills.models import (
    BundleLayoutEpoch,
    Skill,
    SkillCollectionVersion,
    SkillMarketplace,
    SkillPlugin,
)

# Link edits this close after an edit of the same row by the same actor are one change with it.
RELATION_EDIT_WINDOW = timedelta(seconds=1)
PLUGIN_FIELDS = SkillPlugin.MANIFEST_FIELDS
MARKETPLACE_FIELDS = ("name", "owner", "description", "version")


@dataclass(frozen=True)
class Snapshot:
    """One state of the content: when, by whom (a skill version, an audit `who` dict, or
    None for Skillport), its name and served version, and its layout; `message` is set for a
    layout change (its commit message, instead of the name and version)."""

    at: datetime
    by: SkillCollectionVersion | dict | None
    name: str
    version: str
    entries: list[layouts.LayoutEntry]
    digest: str
    message: str = ""


@dataclass
class _Resource:
    """A plugin or marketplace as of some time: its manifest fields and linked ids."""

    pk: str
    fields: dict
    links: set[str]
    alive: bool

    def apply(self, entries: list[AuditVersion], link_field: str) -> None:
        for entry in entries:
            if entry.event == AuditVersion.Kind.DESTROY:
                self.alive = False
                continue
            if entry.event == AuditVersion.Kind.CREATE:
                self.alive = True
            for attribute, (_, new) in entry.changes.items():
                if attribute in self.fields:
                    self.fields[attribute] = new
                elif attribute == link_field:
                    self.links = {str(pk) for pk in new or ()}


def _first_known(
    model, row, entries: list[AuditVersion], names: Iterable[str], link_field: str, links
) -> _Resource | None:
    """The resource before its first audit version: each value as that trail first knew it
    (created with, or changed from), else as the row holds it now."""
    if row is None and not entries:
        return None
    fields = {
        name: getattr(row, name) if row is not None else model._meta.get_field(name).get_default()
        for name in names
    }
    links = set(links)
    seen: set[str] = set()
    for entry in entries:
        for attribute, (old, new) in entry.changes.items():
            if attribute in seen:
                continue
            seen.add(attribute)
            value = new if entry.event == AuditVersion.Kind.CREATE else old
            if attribute in fields:
                fields[attribute] = value
            elif attribute == link_field:
                links = {str(pk) for pk in value or ()}
    born_in_trail = bool(entries) and entries[0].event == AuditVersion.Kind.CREATE
    pk = str(row.pk) if row is not None else entries[0].resource_id
    return _Resource(pk, fields, links, alive=not born_in_trail)


def _ever_linked(trail: Iterable[AuditVersion], link_field: str) -> set[str]:
    """Every id a trail's link edits name, before or after."""
    ids: set[str] = set()
    for entry in trail:
        for side in entry.changes.get(link_field) or ():
            ids.update(str(pk) for pk in side or ())
    return ids


def _link_edit(entry: AuditVersion, link_field: str) -> bool:
    return entry.event == AuditVersion.Kind.UPDATE and set(entry.changes) == {link_field}


def _continues(group: list[AuditVersion], entry: AuditVersion, link_field: str) -> bool:
    """Whether `entry` is part of the service call `group` is: that call saves the row (at
    most one row edit), then sets its links (`set()`: at most one removal, then at most one
    addition), all by one actor within the window."""
    previous = group[-1]
    if not (
        _link_edit(entry, link_field)
        and entry.who == previous.who
        and entry.created_at - previous.created_at < RELATION_EDIT_WINDOW
    ):
        return False
    edits = [item.changes[link_field] for item in group if _link_edit(item, link_field)]
    if not edits:
        return True
    (old, new), (after_old, after_new) = edits[0], entry.changes[link_field]
    removal = set(new or ()) <= set(old or ())
    addition = set(after_old or ()) <= set(after_new or ())
    return len(edits) == 1 and removal and addition


def _grouped(entries: list[AuditVersion], link_field: str) -> list[list[AuditVersion]]:
    """One resource's audit versions (oldest first) as changes, one per service call: a row
    edit and the link edits of the same call (`_continues`) are one change."""
    groups: list[list[AuditVersion]] = []
    for entry in entries:
        if groups and _continues(groups[-1], entry, link_field):
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return groups


def _audit(tenant: Tenant, model, ids: Iterable[str]) -> dict[str, list[AuditVersion]]:
    trail: dict[str, list[AuditVersion]] = defaultdict(list)
    entries = (
        AuditVersion.objects.for_tenant(tenant)
        .filter(resource_type=tracking_for_model(model).type_name, resource_id__in=list(ids))
        .only("resource_id", "event", "changes", "who", "created_at")
        .order_by("created_at", "id")
    )
    for entry in entries:
        trail[entry.resource_id].append(entry)
    return trail


class BundleHistory:
    """Everything a plugin's or marketplace's history is made of, loaded in a fixed number of
    queries; `snapshots()` replays it."""

    def __init__(self, target: SkillPlugin | SkillMarketplace, tenant: Tenant) -> None:
        self.target = target
        self.is_plugin = isinstance(target, SkillPlugin)
        if self.is_plugin:
            self.market_trail: list[AuditVersion] = []
            self.market_links: set[str] = set()
            plugin_rows = {str(target.pk): target}
        else:
            self.market_trail = _audit(tenant, SkillMarketplace, [str(target.pk)])[str(target.pk)]
            self.market_links = {
                str(pk)
                for pk in SkillMarketplace.skill_plugins.through.objects.filter(
                    skillmarketplace_id=target.pk
                ).values_list("skillplugin_id", flat=True)
            }
            ids = self.market_links | _ever_linked(self.market_trail, "skill_plugins")
            plugin_rows = {
                str(plugin.pk): plugin
                for plugin in SkillPlugin.objects.for_tenant(tenant).filter(pk__in=ids)
            }
            plugin_rows = {pk: plugin_rows.get(pk) for pk in ids}
        self.plugin_rows = plugin_rows
        self.plugin_trails = _audit(tenant, SkillPlugin, plugin_rows)
        self.plugin_links: dict[str, set[str]] = defaultdict(set)
        for plugin_id, skill_id in SkillPlugin.skills.through.objects.filter(
            skillplugin_id__in=[pk for pk, row in plugin_rows.items() if row is not None]
        ).values_list("skillplugin_id", "skill_id"):
            self.plugin_links[str(plugin_id)].add(str(skill_id))

        skill_ids = {pk for links in self.plugin_links.values() for pk in links}
        for trail in self.plugin_trails.values():
            skill_ids |= _ever_linked(trail, "skills")
        self.skills = {
            str(skill.pk): skill
            for skill in Skill.objects.for_tenant(tenant)
            .filter(pk__in=skill_ids)
            .only("id", "path", "name", "skill_collection_version_id")
        }
        self.version_skills: dict = defaultdict(list)
        for skill_id, version_id in Skill.versions.through.objects.filter(
            skill_id__in=[skill.pk for skill in self.skills.values()]
        ).values_list("skill_id", "skillcollectionversion_id"):
            self.version_skills[version_id].append(str(skill_id))
        self.versions = {
            version.pk: version
            for version in SkillCollectionVersion.objects.for_tenant(tenant)
            .filter(pk__in=list(self.version_skills))
            .select_related("created_by")
        }
        self._skills_at: dict = {}  # (skill id, version id) -> the skill then, its files
        # (since, layout), oldest first; layouts unknown to this code (a newer release's) ignored
        self.epochs = list(
            BundleLayoutEpoch.objects.for_tenant(tenant)
            .filter(layout__lte=layouts.CURRENT_LAYOUT)
            .order_by("since", "layout")
            .values_list("since", "layout")
        )

    @cached_property
    def files(self) -> dict:
        """The versions' files under the skills' folders: read only when a state is laid out."""
        return layouts.stored_files(
            self.versions, folders={skill.path for skill in self.skills.values()}
        )

    def key(self) -> str:
        """A digest of everything the history is made of (audit versions are append-only and
        a version's files never change, so their ids stand for them): equal keys give equal
        commits."""
        names = PLUGIN_FIELDS if self.is_plugin else MARKETPLACE_FIELDS
        current = [self.target.updated_at, [getattr(self.target, name) for name in names]]
        plugins = {
            pk: [row.updated_at, [getattr(row, name) for name in PLUGIN_FIELDS]]
            for pk, row in self.plugin_rows.items()
            if row is not None
        }
        versions = []
        for version in sorted(self.versions.values(), key=lambda version: str(version.pk)):
            member = version.created_by
            versions.append(
                [
                    version.pk,
                    version.created_at,
                    version.number,
                    version.root_path_at_version,
                    [member.name, member.email] if member else None,
                    version.user_email,
                    sorted(self.version_skills[version.pk]),
                ]
            )
        trails = [self.market_trail, *self.plugin_trails.values()]
        inputs = {
            "kind": "plugin" if self.is_plugin else "marketplace",
            "current": current,
            "plugins": plugins,
            "market_links": sorted(self.market_links),
            "plugin_links": {pk: sorted(links) for pk, links in self.plugin_links.items()},
            "audit": sorted(
                [str(entry.pk), entry.created_at] for trail in trails for entry in trail
            ),
            "skills": sorted(
                [pk, skill.path, skill.name, skill.skill_collection_version_id]
                for pk, skill in self.skills.items()
            ),
            "versions": versions,
            "layouts": [layouts.CURRENT_LAYOUT, self.epochs],
        }
        # -3: states are laid out in the layout of their time (`BundleLayoutEpoch`).
        digest = hashlib.sha256(b"skillport-bundle-history-3\n")
        digest.update(json.dumps(inputs, sort_keys=True, default=str).encode())
        return digest.hexdigest()

    def stored_blobs(self) -> list[tuple[str, str, str]]:
        """(path, sha256, storage name) of every stored file any state may hold."""
        blobs = {item.sha256: item for files in self.files.values() for item in files}
        return [(item.path, item.sha256, item.storage_name) for item in blobs.values()]

    # -- laying out a state ------------------------------------------------------------------

    def _skill_at(self, skill_id: str, version: SkillCollectionVersion):
        """The skill as laid out from `version`: its folder name and files then."""
        key = (skill_id, version.pk)
        if key in self._skills_at:
            return self._skills_at[key]
        skill = self.skills[skill_id]
        if version.pk == skill.skill_collection_version_id:
            name = skill.name
        else:  # a skill's name is its folder's (skills/validation.py), the root's its collection's
            name = posixpath.basename(skill.path or version.root_path_at_version) or skill.name
        files = layouts.files_of_skill(skill.path, self.files[version.pk])
        self._skills_at[key] = Skill(pk=skill.pk, path=skill.path, name=name), files
        return self._skills_at[key]

    def _plugin_state(self, plugin: _Resource, skill_versions: dict):
        row = SkillPlugin(pk=plugin.pk, **plugin.fields)
        skills, files = [], {}
        for skill_id in sorted(plugin.links):
            version = skill_versions.get(skill_id)
            if skill_id in self.skills and version is not None:
                skill, files[skill.pk] = self._skill_at(skill_id, version)
                skills.append(skill)
        return row, skills, files

    def _layout(
        self, target: _Resource, plugins: dict[str, _Resource], skill_versions: dict, layout: int
    ) -> tuple[str, list[layouts.LayoutEntry]]:
        """The served version and the entries of a state in `layout` (raises `BundleError`)."""
        if self.is_plugin:
            row, skills, files = self._plugin_state(target, skill_versions)
            return layouts.plugin_entries(row, skills, files, layout=layout)
        states = [
            self._plugin_state(plugins[pk], skill_versions)
            for pk in target.links
            if pk in plugins and plugins[pk].alive
        ]
        states.sort(key=lambda state: (state[0].name, str(state[0].pk)))
        files = {pk: items for _, _, state_files in states for pk, items in state_files.items()}
        market = SkillMarketplace(pk=target.pk, **target.fields)
        entries = layouts.marketplace_entries(
            market, [(row, skills) for row, skills, _ in states], files, layout
        )
        paths = [entry.path for entry in entries]
        if len(set(paths)) != len(paths):
            raise layouts.BundleError("Two plugins of the marketplace share a name.")
        return target.fields["version"], entries

    def _snapshot(self, at, by, state, layout: int, message: str = "") -> Snapshot:
        """`state` = (target, plugins, skill versions) laid out in `layout`."""
        target = state[0]
        version, entries = self._layout(*state, layout)
        digest = layouts.content_digest({}, entries)
        return Snapshot(at, by, target.fields["name"], version, entries, digest, message)

    def _switch(self, last: Snapshot | None, since, layout: int, state) -> Snapshot | None:
        """The commit that moves the content to `layout` at `since`: `state` laid out anew, by
        Skillport, when there is content before and the layout changes it."""
        if last is None or not state[0].alive:
            return None
        message = f"Layout: {layouts.LAYOUTS[layout]}"
        try:
            snapshot = self._snapshot(since, None, state, layout, message)
        except layouts.BundleError:
            return None
        return snapshot if snapshot.digest != last.digest else None

    @staticmethod
    def _state_key(target: _Resource, plugins: dict[str, _Resource], skill_versions) -> str:
        """What a state is made of, cheaply: equal keys lay out equal content."""

        def plugin_key(plugin):
            linked = sorted(
                (pk, str(getattr(skill_versions.get(pk), "pk", None))) for pk in plugin.links
            )
            return [plugin.fields, linked]

        if not plugins:
            return json.dumps(plugin_key(target), sort_keys=True, default=str)
        members = [plugin_key(plugins[pk]) for pk in sorted(target.links) if pk in plugins]
        alive = sorted(pk for pk in target.links if pk in plugins and plugins[pk].alive)
        return json.dumps([target.fields, alive, members], sort_keys=True, default=str)

    # -- the replay ---------------------------------------------------------------------------

    def _resources(self):
        """The target and (for a marketplace) its plugins, as first known."""
        plugins = {}
        for pk, row in self.plugin_rows.items():
            resource = _first_known(
                SkillPlugin,
                row,
                self.plugin_trails.get(pk, []),
                PLUGIN_FIELDS,
                "skills",
                self.plugin_links.get(pk, ()),
            )
            if resource is not None:
                plugins[pk] = resource
        if self.is_plugin:
            return plugins[str(self.target.pk)], {}
        market = _first_known(
            SkillMarketplace,
            self.target,
            self.market_trail,
            MARKETPLACE_FIELDS,
            "skill_plugins",
            self.market_links,
        )
        return market, plugins

    def _changes(self, target: _Resource, plugins: dict[str, _Resource]) -> list[tuple]:
        """Every change point in time order: `(order, by, resource, audit versions, link
        field, None)` for a change of a row, `(order, version, None, None, None, version)` for
        a skill version; `order` starts with the time."""
        if self.is_plugin:
            trails = [(target, self.plugin_trails.get(target.pk, []), "skills")]
        else:
            trails = [(target, self.market_trail, "skill_plugins")]
            trails += [
                (plugin, self.plugin_trails.get(pk, []), "skills") for pk, plugin in plugins.items()
            ]
        changes = []
        for resource, trail, link_field in trails:
            for group in _grouped(trail, link_field):
                order = (group[-1].created_at, 0, 0, str(group[-1].pk))
                changes.append((order, group[0].who, resource, group, link_field, None))
        for version in self.versions.values():
            order = (version.created_at, 1, version.number, str(version.pk))
            changes.append((order, version, None, None, None, version))
        return sorted(changes, key=lambda change: change[0])

    def snapshots(self) -> Iterator[Snapshot]:
        """The content's distinct states, oldest first; the last one is the current content."""
        target, plugins = self._resources()
        skill_versions: dict[str, SkillCollectionVersion] = {}
        state = (target, plugins, skill_versions)
        last: Snapshot | None = None
        last_key = None
        pending = list(self.epochs)  # epochs not reached yet: a change at `since` is after one
        layout = pending[0][1] - 1 if pending else layouts.CURRENT_LAYOUT
        for (at, *_), by, resource, group, link_field, version in self._changes(target, plugins):
            while pending and pending[0][0] <= at:
                since, layout = pending.pop(0)
                if switch := self._switch(last, since, layout, state):
                    last = switch
                    yield switch
            if version is not None:
                for skill_id in self.version_skills[version.pk]:
                    skill_versions[skill_id] = version
            else:
                resource.apply(group, link_field)
            if not target.alive:
                continue
            key = self._state_key(target, plugins, skill_versions)
            if key == last_key:
                continue
            last_key = key
            try:
                snapshot = self._snapshot(at, by, state, layout)
            except layouts.BundleError:
                continue  # a past state that cannot be laid out is not a commit
            if last is None or snapshot.digest != last.digest:
                last = snapshot
                yield snapshot
        # The current content, dated at the newest change it is made of (not before the last
        # commit), in the layout of then: the epochs up to then switch the replayed state, the
        # later ones the current content.
        at, current_state = self._current()
        at = at if last is None else max(at, last.at)
        while pending and pending[0][0] <= at:
            since, layout = pending.pop(0)
            if switch := self._switch(last, since, layout, state):
                last = switch
                yield switch
        current = self._snapshot(at, None, current_state, layout)  # raises `BundleError`
        if last is None or current.digest != last.digest:
            last = current
            yield current
        for since, layout in pending:
            if switch := self._switch(last, since, layout, current_state):
                last = switch
                yield switch

    def _current(self) -> tuple[datetime, tuple]:
        """The time of the newest change the current content (what the zip export holds) is
        made of, and its state (target, plugins, skill versions)."""
        skill_versions = {
            pk: self.versions[skill.skill_collection_version_id]
            for pk, skill in self.skills.items()
            if skill.skill_collection_version_id in self.versions
        }
        plugins = {
            pk: _Resource(
                pk,
                {name: getattr(row, name) for name in PLUGIN_FIELDS},
                self.plugin_links.get(pk, set()),
                alive=True,
            )
            for pk, row in self.plugin_rows.items()
            if row is not None
        }
        if self.is_plugin:
            target = plugins.pop(str(self.target.pk))
            included = [target]
        else:
            fields = {name: getattr(self.target, name) for name in MARKETPLACE_FIELDS}
            target = _Resource(str(self.target.pk), fields, set(self.market_links), alive=True)
            included = [plugins[pk] for pk in target.links if pk in plugins]
        times = [self.target.updated_at]
        for plugin in included:
            times.append(self.plugin_rows[plugin.pk].updated_at)
            times += [skill_versions[pk].created_at for pk in plugin.links if pk in skill_versions]
        return max(times), (target, plugins, skill_versions)
