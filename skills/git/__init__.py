"""Skills as git repositories: objects, repositories, packs, push, and the smart-HTTP views."""
