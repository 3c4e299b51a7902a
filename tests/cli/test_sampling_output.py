from services.cli.app import sampled_automatically


def test_generate_names_each_automatically_sampled_field_and_its_generator():
    job = {"locale": "de_DE", "auto_samplers": {"first_name": {"kind": "person", "attribute": "first_name"},
                                                "iban": {"kind": "faker", "provider": "iban"},
                                                "id": {"kind": "uuid"}}}
    text = sampled_automatically(job)
    assert "locale de_DE" in text
    assert "  first_name: person first_name" in text and "  iban: faker iban" in text and "  id: uuid" in text


def test_generate_prints_nothing_about_sampling_for_a_job_without_auto_samplers():
    assert sampled_automatically({"auto_samplers": {}}) is None
