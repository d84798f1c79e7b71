"""`make load`: a bounded locust run against a production-style Skillport on a throwaway
PostgreSQL, with optional faults (`make load FAULTS=1`). `python -m benchmarks.load --help`."""
