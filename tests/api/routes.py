"""Every routed path, generated from the URL resolver, for the sweeps over all of them."""

import uuid

from django.urls import get_resolver, resolve

# A value for each URL parameter the project's patterns take; ids name nothing that exists.
SAMPLE_PARAMETERS = {
    "pk": str(uuid.uuid4()),
    "kind": "skill_plugins",
    "identifier": "support",
    "token": "not-a-token",
    "skill_id": str(uuid.uuid4()),
    "version": "latest",
    # the discovery index (skills/discovery/urls.py)
    "number": "2",
    "label": "stable",
    "name": "pdf-tools",
    "path": "SKILL.md",
}


def routed_paths() -> list[str]:
    """A concrete path for every URL pattern outside the admin (staff sessions, not keys)."""
    paths = []
    for callback, entries in get_resolver().reverse_dict.lists():
        if isinstance(callback, str):
            continue  # the same patterns, by name
        for possibilities, _pattern, _defaults, _converters in entries:
            for template, parameters in possibilities:
                path = "/" + template % {name: SAMPLE_PARAMETERS[name] for name in parameters}
                resolve(path)  # (a pattern shadowed by another serves the same path)
                paths.append(path)
    return sorted(set(paths))


def view_name(path: str) -> str:
    view = resolve(path).func
    return getattr(view, "view_class", view).__name__
