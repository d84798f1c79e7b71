"""Skill exports: a skill, a plugin or a marketplace as the zip an agent installs."""
