"""Bulk exports: a resource type's rows as gzipped JSON or CSV, streamed by a worker."""
