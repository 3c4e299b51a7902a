"""A library, not a service: the projections every reader and writer of them shares. The job projection's fold
(projection.py) and its optimistic-concurrency store (store.py), and the registries' one-document-per-version
projections (profiles.py, record_types.py, registries.py). Used by the projector, the API and replay."""
