"""A job's dataset profile: per top-level field of its records, from Elasticsearch aggregations (GET
/v1/jobs/{id}/profile).

`fields` reads the job's schema, `requests` builds the searches, `lengths` narrows string lengths down, `convert`
turns the answers into the profile, `run` sends them. Everything but `run` is pure.
"""
