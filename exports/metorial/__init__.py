"""The Metorial-compatible surface for skill exports, at Metorial's own root paths."""
