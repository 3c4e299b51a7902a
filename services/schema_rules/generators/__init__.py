"""Field generators beyond the plain samplers: Faker providers, one coherent person per record, a choice keyed by
another sampled field, and the generators picked automatically for well-known fields (auto samplers)."""
