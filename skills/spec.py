"""What the Agent Skills spec's reference validator (`skills-ref`, `agentskills validate`) says of
one SKILL.md.

Skillport accepts what Claude Code accepts (skills/validation.py); the spec is stricter in places
(frontmatter keys outside its list, strict YAML, ...). Those differences are findings, not
refusals: a team sees which agents may refuse a skill before installing it.
"""

import re
from pathlib import PurePosixPath

from skills_ref.errors import ParseError
from skills_ref.parser import parse_frontmatter
from skills_ref.validator import validate_metadata

# The validator's messages are prose; each gets a stable code, the first pattern that matches.
CODES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), code)
    for pattern, code in (
        (r"^Unexpected fields in frontmatter", "unexpected_field"),
        (r"^Invalid YAML in frontmatter", "invalid_yaml"),
        (r"must start with YAML frontmatter", "missing_frontmatter"),
        (r"not properly closed", "unclosed_frontmatter"),
        (r"must be a YAML mapping", "frontmatter_not_mapping"),
        (r"^Missing required field", "missing_field"),
        (r"must be a non-empty string", "empty_field"),
        (r"must be a string", "wrong_type"),
        (r"character limit", "too_long"),
        (r"must be lowercase", "name_not_lowercase"),
        (r"hyphen", "name_hyphens"),
        (r"invalid characters", "name_invalid_characters"),
        (r"^Directory name", "name_folder_mismatch"),
    )
)
FALLBACK_CODE = "spec_violation"


def code_for(message: str) -> str:
    return next((code for pattern, code in CODES if pattern.search(message)), FALLBACK_CODE)


def spec_findings(content: bytes, folder_name: str) -> list[dict[str, str]]:
    """`[{code, detail}]` for one SKILL.md in a folder named `folder_name` ('' when unknown);
    empty when the reference validator finds nothing."""
    try:
        metadata, _ = parse_frontmatter(content.decode("utf-8"))
    except (ParseError, UnicodeDecodeError) as error:
        messages = [str(error)]
    else:
        folder = PurePosixPath(folder_name) if folder_name else None
        messages = validate_metadata(metadata, folder)
    return [{"code": code_for(message), "detail": message} for message in messages]
