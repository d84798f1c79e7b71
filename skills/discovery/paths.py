"""Where a resource's discovery index lives: its git URL without `.git`, so one base serves
`skills add <base>` (the index) and `git clone <base>.git`, as a share link's `url` does."""

from skills.git.objects import git_path, git_url
from skills.models import SkillCollection, SkillMarketplace, SkillPlugin


def index_path(target: SkillCollection | SkillPlugin | SkillMarketplace) -> str:
    return git_path(target).removesuffix(".git")


def index_url(target: SkillCollection | SkillPlugin | SkillMarketplace) -> str:
    return git_url(target).removesuffix(".git")
