"""A one-shot "daemon" that claims one approved request and runs it, for kill tests.

    python -m tests.integration.policy.claim_entry ENDPOINT_JSON REQUEST_ID

The store comes from SSOP_DATABASE_URL; commands go to the endpoint in
ENDPOINT_JSON (host, port, username, private_key, host_key {type, base64,
fingerprint}). It logs "claimed" once it holds the request.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from ssop.core.clock import SystemClock
from ssop.core.config.loader import load_config
from ssop.core.services import build_services
from ssop.core.transport.base import Endpoint, HostKey
from ssop.core.transport.ssh import FabricTransport
from tests.support.policy import SshExecutor, wire


def endpoint(path: Path) -> Endpoint:
    data = json.loads(path.read_text())
    key = data.pop("host_key")
    return Endpoint(
        **data, pinned_host_key=HostKey(key["type"], key["base64"], key["fingerprint"])
    )


def main(endpoint_file: Path, request_id: int) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    services = build_services(load_config(), clock=SystemClock())
    target = endpoint(endpoint_file)
    wire(
        services,
        SshExecutor(
            services.sessions, services.clock, lambda _: FabricTransport(target)
        ),
    )
    runner = services.request_runner
    if not runner.claim(request_id):
        print("not claimed", file=sys.stderr, flush=True)
        return 1
    print("claimed", file=sys.stderr, flush=True)
    result = runner.run_claimed(request_id)
    print(f"finished {result.status}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), int(sys.argv[2])))
