"""A library, not a service: the registries' version stores (profiles, record types), written create-only with each
version's event held in its own outbox until published. Refusals are domain errors (errors.py); the API maps them
to HTTP answers, bootstrap and the CLI use the stores without HTTP."""
