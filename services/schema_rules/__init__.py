"""A library, not a service: what a JSON Schema asks of generation, without a model (no torch, no Outlines): the
decoder's tightened constraint and its compile check (constraints.py), `x-sdg-sampler` declarations and their
draws (samplers.py, generators/), and the `x-sdg-unique` rules (unique.py). The API checks submissions with it;
the worker generates with it."""
