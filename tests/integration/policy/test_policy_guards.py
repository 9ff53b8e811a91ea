"""Policy validates advice through the same guard rails as manual runs."""

from __future__ import annotations

from ssop.core.actions.guards.rails import GuardRails
from ssop.core.models import Server
from ssop.core.services import Services


def test_policy_guards_include_our_own_addresses(services: Services) -> None:
    rails = GuardRails(
        services.config.settings.guards, own_addresses=lambda: ("198.51.100.7",)
    )
    services.__dict__["guard_rails"] = rails
    guards = services.remediation.guards(Server(name="w", host="127.0.0.1", local=True))
    assert "198.51.100.7" in {str(a) for a in guards.own_addresses}
