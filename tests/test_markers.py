"""`-m "not integration"` must run nothing that reaches the live stack: every such test carries the marker."""

import inspect

# What a test (or one of its fixtures) names when it reaches RabbitMQ, Elasticsearch or the running services
# without the `stack` fixture (which conftest.py marks by itself).
LIVE_STACK = ("ES_URL", "AMQP_URL", "servers.es_url", "servers.amqp_url", "services.sh", "service_env", "SDG_TEST_")


def sources_of(item) -> list[str]:
    functions = [item.function] + [definition.func for definitions in item._fixtureinfo.name2fixturedefs.values()
                                   for definition in definitions]
    sources = []
    for function in functions:
        try:
            sources.append(inspect.getsource(function))
        except (OSError, TypeError):  # a builtin fixture without Python source
            continue
    return sources


def test_every_selected_test_that_reaches_the_live_stack_is_marked_integration(request):
    """Checks the tests this session selected: in a full unit run (`-m "not integration"`), all of them."""
    unmarked = [item.nodeid for item in request.session.items
                if item.get_closest_marker("integration") is None and hasattr(item, "function")
                and any(name in source for source in sources_of(item) for name in LIVE_STACK)]
    assert not unmarked, f"reach the live stack but are not marked integration: {unmarked}"
