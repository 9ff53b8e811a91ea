"""Reachability probes of external services, with their errors translated.

Each probe does one cheap round trip with a short timeout and raises an
``SsopError`` naming the service (never its password) when it fails.
"""

from __future__ import annotations

from ssop.core.config.loader import mask_url
from ssop.core.errors import AnalysisError, QueueUnavailable, TransportError

OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"


def ping_redis(url: str, timeout: float) -> None:
    """Send PING to the Redis at ``url``.

    Raises:
        QueueUnavailable: no answer within ``timeout``, refused, or an error reply.
    """
    import redis

    client = redis.Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout
    )
    try:
        client.ping()
    except redis.RedisError as e:
        raise QueueUnavailable(
            f"cannot reach Redis at {mask_url(url)} ({e})",
            hint="check redis.url / redis.host (ssop config show) and that Redis runs",
        ) from e
    finally:
        client.close()


def probe_llm(base_url: str, api_key: str | None, timeout: float) -> None:
    """GET ``{base_url}/models`` of an OpenAI-compatible endpoint.

    Raises:
        TransportError: the endpoint cannot be reached within ``timeout``.
        AnalysisError: it answered with an HTTP error (a refused key included).
    """
    import httpx2

    url = base_url.rstrip("/") + "/models"
    shown = mask_url(url)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        response = httpx2.get(url, headers=headers, timeout=timeout)
    except httpx2.HTTPError as e:
        raise TransportError(
            f"cannot reach the LLM endpoint {shown} ({type(e).__name__}: {e})"
        ) from e
    if response.status_code in (401, 403):
        raise AnalysisError(
            f"the LLM endpoint {shown} refused the API key "
            f"(HTTP {response.status_code})",
            hint="check openai.api_key",
        )
    if response.status_code >= 400:
        raise AnalysisError(
            f"the LLM endpoint {shown} answered HTTP {response.status_code}"
        )
