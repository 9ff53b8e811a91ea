"""The LLM analyst: an OpenAI-compatible endpoint behind the ``Analyser`` port.

It sends the compact prompt with a JSON-schema response format and
validates the answer strictly (``advice``). Retries are done here rather
than by the client, so their waits go through the injected clock: 429 and
5xx answers and refused connections are retried with exponential backoff,
honouring Retry-After up to ``max_retry_after``; a timeout is not retried
(a slow endpoint stays slow). One analysis waits at most
``analysis.model_wait_s`` in all: each request's timeout is what is left of
it, and a wait that would not fit is not started, so the rules stand in
instead of the analysis hanging on the model. Every library error becomes
an ``AnalysisError`` subclass at this boundary.
"""

from __future__ import annotations

import email.utils
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from ssop.core.actions.readings import clean
from ssop.core.actions.spec import RiskLevel
from ssop.core.analysis.advice import parse_advice, response_format
from ssop.core.analysis.base import AnalysisContext, AnalysisResult, Usage
from ssop.core.analysis.prompt import Prompt, build_prompt
from ssop.core.clock import Clock
from ssop.core.config.schema import AnalysisSection, OpenaiSection
from ssop.core.errors import (
    AnalysisError,
    ModelInvalidAnswer,
    ModelRateLimited,
    ModelRefused,
    ModelTimeout,
    ModelUnavailable,
)
from ssop.core.logsetup import redact

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
    from openai.types.shared_params import ResponseFormatJSONSchema

log = logging.getLogger(__name__)

ANALYZER = "llm"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
BACKOFF_BASE_S, BACKOFF_MAX_S = 0.5, 8.0
TEXT_CAP = 8000


class LlmAnalyst:
    """Asks the configured model; raises an ``AnalysisError`` kind on failure."""

    name = ANALYZER

    def __init__(
        self,
        settings: OpenaiSection,
        cfg: AnalysisSection,
        clock: Clock,
    ) -> None:
        import openai

        self.settings = settings
        self.cfg = cfg
        self.clock = clock
        key = settings.api_key.get_secret_value() if settings.api_key else ""
        self.client = openai.OpenAI(
            api_key=key,
            base_url=settings.base_url or DEFAULT_BASE_URL,
            timeout=settings.timeout,
            max_retries=0,  # retried here, on the injected clock
        )

    def analyse(self, context: AnalysisContext) -> AnalysisResult:
        prompt = build_prompt(context, self.cfg, self.settings.language)
        completion = self._complete(prompt)
        usage = _usage(completion)
        try:
            advice = parse_advice(_content(completion))
        except ModelInvalidAnswer as e:
            raise ModelInvalidAnswer(f"{e.message} ({_tokens(usage)})") from e
        return AnalysisResult(
            analyzer=ANALYZER,
            summary=clean(advice.summary, TEXT_CAP),
            reasoning=clean(advice.reasoning, TEXT_CAP),
            risk=RiskLevel(advice.risk_level),
            confidence=advice.confidence,
            proposals=advice.proposals(),
            model=self.settings.model,
            prompt=prompt.text,
            prompt_hash=prompt.hash,
            usage=usage,
        )

    def _complete(self, prompt: Prompt) -> ChatCompletion:
        import openai

        deadline = self.clock.monotonic() + self.cfg.model_wait_s
        attempt = 0
        while True:
            try:
                return self._call(prompt, self._left(deadline))
            except (openai.RateLimitError, openai.InternalServerError) as e:
                delay = self._delay(e, attempt)
                if delay is None or not self._fits(delay, deadline):
                    raise translate(e) from e
            except openai.APITimeoutError as e:
                raise translate(e) from e
            except openai.APIConnectionError as e:
                delay = _backoff(attempt)
                if attempt >= self.settings.max_retries or not self._fits(
                    delay, deadline
                ):
                    raise translate(e) from e
            except openai.OpenAIError as e:
                raise translate(e) from e
            log.info("model endpoint: retry %d in %.1fs", attempt + 1, delay)
            self.clock.sleep(delay)
            attempt += 1

    def _left(self, deadline: float) -> float:
        """This request's timeout: the configured one, within the analysis's wait."""
        left = deadline - self.clock.monotonic()
        if left <= 0:
            raise ModelTimeout(
                f"model endpoint did not answer within {self.cfg.model_wait_s:g}s"
                " (analysis.model_wait_s)"
            )
        return min(self.settings.timeout, left)

    def _fits(self, delay: float, deadline: float) -> bool:
        """Whether waiting ``delay`` still leaves time for another request."""
        return self.clock.monotonic() + delay < deadline

    def _call(self, prompt: Prompt, timeout: float) -> ChatCompletion:
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": prompt.user},
        ]
        return self.client.chat.completions.create(
            model=self.settings.model,
            messages=messages,
            response_format=cast("ResponseFormatJSONSchema", response_format()),
            max_tokens=self.settings.max_tokens,
            temperature=0,
            timeout=timeout,
        )

    def _delay(self, e: openai.APIStatusError, attempt: int) -> float | None:
        """Seconds to wait before the next try, or None to give up now."""
        if attempt >= self.settings.max_retries:
            return None
        wait = retry_after(e.response.headers)
        if wait is None:
            return _backoff(attempt)
        return wait if wait <= self.settings.max_retry_after else None


def _backoff(attempt: int) -> float:
    return float(min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2**attempt))


def retry_after(headers: Any, now: datetime | None = None) -> float | None:
    """Seconds asked for by ``retry-after-ms`` or ``Retry-After`` (seconds or date)."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def translate(e: Exception) -> AnalysisError:
    """An openai exception as the ssop error kind it stands for."""
    import openai

    if isinstance(e, openai.APITimeoutError):
        return ModelTimeout("model endpoint did not answer in time")
    if isinstance(e, openai.APIConnectionError):
        return ModelUnavailable(f"model endpoint unreachable ({_brief(e)})")
    if isinstance(e, openai.RateLimitError):
        wait = retry_after(e.response.headers)
        return ModelRateLimited(
            "model endpoint still rate-limits (429) after the retries",
            retry_after=wait,
        )
    if isinstance(e, openai.APIStatusError):
        status = e.status_code
        error = ModelUnavailable if status >= 500 else ModelRefused
        return error(f"model endpoint answered {status} ({_brief(e)})")
    if isinstance(e, openai.APIResponseValidationError):
        return ModelInvalidAnswer(
            f"model endpoint sent an invalid response ({_brief(e)})"
        )
    return AnalysisError(f"model call failed ({type(e).__name__}: {_brief(e)})")


def _brief(e: Exception) -> str:
    """A short, redacted cause: endpoint messages may echo keys or prompts."""
    text = getattr(e, "message", None) or str(e) or type(e).__name__
    return redact(clean(str(text), 160))


def _content(completion: ChatCompletion) -> str | None:
    if not completion.choices:
        raise ModelInvalidAnswer("model answer has no choices")
    choice = completion.choices[0]
    if choice.finish_reason == "length":
        raise ModelInvalidAnswer("model answer was cut off at the token limit")
    refusal = getattr(choice.message, "refusal", None)
    if refusal:
        raise ModelInvalidAnswer(f"model refused: {redact(clean(refusal, 160))}")
    return choice.message.content


def _usage(completion: ChatCompletion) -> Usage:
    u = completion.usage
    if u is None:
        return Usage()
    return Usage(u.prompt_tokens, u.completion_tokens)


def _tokens(usage: Usage) -> str:
    return f"tokens {usage.prompt_tokens or 0}+{usage.completion_tokens or 0}"
