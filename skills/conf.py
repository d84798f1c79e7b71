"""Skill limits, downloads, diffs and git (`settings.SKILLPORT_SKILLS`); see core/conf.py."""

from core.conf import KIB, MIB, AppSettings, Setting

DEFAULTS = {
    "MAX_FILE_SIZE": Setting(
        10 * MIB,
        "SKILLPORT_SKILLS_MAX_FILE_SIZE",
        "largest file of one skill collection version",
        unit="bytes",
    ),
    "MAX_VERSION_SIZE": Setting(
        100 * MIB,
        "SKILLPORT_SKILLS_MAX_VERSION_SIZE",
        "largest total size of one skill collection version",
        unit="bytes",
    ),
    "MAX_FILES": Setting(
        10_000,
        "SKILLPORT_SKILLS_MAX_FILES",
        "most files of one skill collection version",
        shown="10,000",
    ),
    # A zip entry that inflates more than this many times its compressed size is refused...
    "MAX_COMPRESSION_RATIO": Setting(
        200,
        "SKILLPORT_SKILLS_MAX_COMPRESSION_RATIO",
        "zip-bomb guard for uploaded entries of 1 MiB and more",
    ),
    # ...once it is at least this big (small, very repetitive files are harmless).
    "COMPRESSION_RATIO_MIN_SIZE": Setting(
        1 * MIB,
        None,
        "uploaded zip entries this big and bigger are held to `MAX_COMPRESSION_RATIO`",
        unit="bytes",
    ),
    "MAX_PATH_LENGTH": Setting(1024, None, "longest file path in a skill collection version"),
    # The frontmatter is a few fields; parsing megabytes of YAML is only a way to burn CPU...
    "MAX_FRONTMATTER_SIZE": Setting(
        64 * KIB,
        "SKILLPORT_SKILLS_MAX_FRONTMATTER_SIZE",
        "characters of a `SKILL.md` frontmatter",
        unit="bytes",
    ),
    # ...and PyYAML composes nested collections recursively: deep nesting is refused first.
    "MAX_FRONTMATTER_DEPTH": Setting(
        32,
        "SKILLPORT_SKILLS_MAX_FRONTMATTER_DEPTH",
        "collections nested in a `SKILL.md` frontmatter",
    ),
    "MAX_UPLOAD_SIZE": Setting(
        None,
        None,
        "largest zip request body accepted",
        shown="`MAX_VERSION_SIZE` + 16 MiB",
    ),
    "ZIP_COMPRESS_LEVEL": Setting(
        6,
        "SKILLPORT_SKILLS_ZIP_COMPRESS_LEVEL",
        "deflate level of `?format=zip` downloads (0 stores; 6 is like `zip -r`)",
    ),
    "DIFF_MAX_FILE_SIZE": Setting(
        256 * KIB,
        "SKILLPORT_SKILLS_DIFF_MAX_FILE_SIZE",
        "version diffs: a file with a side larger than this gets no diff (and is not read)",
        unit="bytes",
    ),
    "DIFF_MAX_TOTAL_SIZE": Setting(
        1 * MIB,
        "SKILLPORT_SKILLS_DIFF_MAX_TOTAL_SIZE",
        "version diffs: bytes read for one answer (the rest: `diff_omitted: limit`, "
        "`truncated: true`)",
        unit="bytes",
    ),
    "DIFF_MAX_FILES": Setting(
        300,
        "SKILLPORT_SKILLS_DIFF_MAX_FILES",
        "version diffs: files diffed for one answer (the rest: `diff_omitted: limit`, "
        "`truncated: true`)",
    ),
    "GIT_MAX_REQUEST_SIZE": Setting(
        10 * MIB,
        "SKILLPORT_SKILLS_GIT_MAX_REQUEST_SIZE",
        "largest git-upload-pack request body read (after gunzip; see "
        "[Install with git](../guides/install-git.md))",
        unit="bytes",
    ),
    "GIT_TREES_RETENTION": Setting(
        86400,
        "SKILLPORT_SKILLS_GIT_TREES_RETENTION",
        "how long a `git-trees/` cache entry that is no longer a collection's current state (or "
        "whose collection is deleted) is kept before the scheduler's `git_trees` job deletes it "
        "(see [Install with git](../guides/install-git.md#how-the-repositories-are-served))",
        unit="s",
    ),
    "GIT_MAX_PUSH_SIZE": Setting(
        100 * MIB,
        "SKILLPORT_SKILLS_GIT_MAX_PUSH_SIZE",
        "largest git-receive-pack (`git push`) request body read, the pack included (`413` "
        "beyond; see [Publish with git push](../guides/publish-git-push.md))",
        unit="bytes",
    ),
    "SHARE_LINK_EXPIRES": Setting(
        30 * 86400,
        "SKILLPORT_SKILLS_SHARE_LINK_EXPIRES",
        "lifetime of a `share_links` link created without `expires_at` or `expires_in` (see "
        "[Discovery index and share links](../guides/discovery.md))",
        unit="s",
    ),
    "SHARE_LINK_MAX_EXPIRES": Setting(
        365 * 86400,
        "SKILLPORT_SKILLS_SHARE_LINK_MAX_EXPIRES",
        "longest lifetime a `share_links` link may be given",
        unit="s",
    ),
}
skills_conf = AppSettings("SKILLPORT_SKILLS", DEFAULTS, "Skills")
