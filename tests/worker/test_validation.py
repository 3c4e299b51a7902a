from services.schema_rules.constraints import constrained_schema, estimate_max_tokens, schema_hash
from services.worker.validation import validate_output

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0, "maximum": 120}},
    "required": ["name", "age"],
}


def test_a_record_that_matches_its_schema_is_accepted():
    verdict = validate_output('{"name": "Ada", "age": 36}', PERSON)
    assert verdict.valid and verdict.record == {"name": "Ada", "age": 36}


def test_truncated_output_is_rejected_as_not_json():
    verdict = validate_output('{"name": "Ada", "ag', PERSON)
    assert not verdict.valid and "not JSON" in verdict.reason


def test_a_value_out_of_range_is_rejected_with_its_location():
    verdict = validate_output('{"name": "Ada", "age": 300}', PERSON)
    assert not verdict.valid and "age" in verdict.reason


def test_a_missing_required_field_is_rejected():
    assert not validate_output('{"name": "Ada"}', PERSON).valid


def test_the_constrained_schema_bounds_unbounded_strings_only():
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string", "maxLength": 5},
                                                "c": {"type": "string", "enum": ["x"]}}}
    tight = constrained_schema(schema, 40)
    assert tight["properties"]["a"]["maxLength"] == 40
    assert tight["properties"]["b"]["maxLength"] == 5
    assert "maxLength" not in tight["properties"]["c"]
    assert "maxLength" not in schema["properties"]["a"], "the user's schema is left untouched"


def test_a_record_valid_under_the_constrained_schema_is_valid_under_the_original():
    tight = constrained_schema(PERSON, 10)
    tight.pop("x-guidance")
    record = '{"name": "Ada", "age": 36}'
    assert validate_output(record, tight).valid and validate_output(record, PERSON).valid


def test_token_budget_grows_with_the_schema():
    small = estimate_max_tokens({"type": "object", "properties": {"a": {"type": "integer"}}}, 40)
    assert small < estimate_max_tokens(PERSON, 40)


def test_schema_hash_ignores_key_order():
    assert schema_hash({"a": 1, "b": 2}) == schema_hash({"b": 2, "a": 1})


def test_a_schema_with_a_look_around_pattern_is_reported_as_unsupported():
    from services.schema_rules.constraints import unsupported_feature

    schema = {"type": "object", "properties": {"mode": {"type": "string", "pattern": "^((?!mode).)*$"}}}
    reason = unsupported_feature(schema)
    assert reason and "look-around" in reason


def test_one_of_and_unknown_formats_compile_leniently():
    from services.schema_rules.constraints import unsupported_feature

    schema = {"type": "object", "properties": {
        "a": {"oneOf": [{"type": "integer"}, {"type": "string", "maxLength": 3}]},
        "b": {"type": "string", "format": "color-hex"}}}
    assert unsupported_feature(schema) is None


def test_the_constrained_schema_closes_open_objects_but_not_combined_branches():
    schema = {"type": "object", "properties": {
        "inner": {"type": "object", "properties": {"x": {"type": "integer"}}},
        "mixed": {"allOf": [{"properties": {"a": {"type": "integer"}}}, {"properties": {"b": {"type": "integer"}}}]},
        "free": {"type": "object", "properties": {"y": {"type": "integer"}}, "additionalProperties": True}}}
    tight = constrained_schema(schema, 10)
    assert tight["additionalProperties"] is False
    assert tight["properties"]["inner"]["additionalProperties"] is False
    assert "additionalProperties" not in tight["properties"]["mixed"]["allOf"][0]
    assert tight["properties"]["free"]["additionalProperties"] is True


def test_a_type_given_as_a_list_is_budgeted_like_its_first_non_null_type():
    schema = {"type": "object", "properties": {"a": {"type": ["null", "integer"]}, "b": {"type": ["string", "null"]}}}
    assert estimate_max_tokens(schema, 40) > estimate_max_tokens({"type": "object", "properties": {}}, 40)
