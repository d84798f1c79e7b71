"""Plugins and marketplaces as the file layouts agents install, and their derived history."""
