"""Fault injection: queued faults per endpoint, or seeded random ones for soak tests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from random import Random
from typing import Any

ENDPOINTS = (
    "msal_config",
    "authorize",
    "self_asserted",
    "confirmed",
    "token",
    "measurements",
    "peaks",
    "legacy_measurements",
    "legacy_peaks",
)
B2C_ENDPOINTS = ("authorize", "self_asserted", "confirmed", "token")
B2C_ERROR_ENDPOINTS = ("self_asserted", "confirmed", "token")

KINDS = (
    "latency",  # seconds=0.5: wait, then answer normally
    "timeout",  # seconds=3600: hang (released, then connection dropped, on stop)
    "reset",  # abort the TCP connection (RST) without an answer
    "rate_limit",  # 429 with Retry-After: seconds (default 30)
    "server_error",  # status=500 (502, 503, ...)
    "invalid_json",  # 200 application/json with a truncated body
    "empty",  # 200 `[]`: the live portal's silent answer, whether refused or unpublished
    "html",  # status=503 text/html maintenance page
    "unauthorized",  # 401
    "b2c_error",  # code=AADB2C90244: a B2C rejection (self_asserted, confirmed, token)
)
# Kinds that make sense without a waiting client; `timeout` must be asked for explicitly.
DEFAULT_RANDOM_KINDS = (
    "latency",
    "reset",
    "rate_limit",
    "server_error",
    "invalid_json",
    "html",
    "unauthorized",
)
_DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "latency": {"seconds": 0.5},
    "timeout": {"seconds": 3600.0},
    "rate_limit": {"seconds": 30},
    "server_error": {"status": 500},
    "html": {"status": 503},
    "b2c_error": {"code": "AADB2C90244"},
}


@dataclass(slots=True)
class Fault:
    """One injected fault; `remaining` None means until cleared."""

    endpoint: str
    kind: str
    remaining: int | None = 1
    params: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str) -> Any:
        """A parameter, falling back to the kind's default."""
        if name in self.params:
            return self.params[name]
        return _DEFAULT_PARAMS.get(self.kind, {}).get(name)


@dataclass(slots=True)
class _RandomPlan:
    rng: Random
    rate: float
    kinds: tuple[str, ...]
    endpoints: tuple[str, ...]
    params: dict[str, Any]


def _check(endpoint: str, kind: str) -> None:
    if endpoint not in ENDPOINTS:
        raise ValueError(f"unknown endpoint {endpoint!r}; choose from {ENDPOINTS}")
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; choose from {KINDS}")
    if kind == "b2c_error" and endpoint not in B2C_ERROR_ENDPOINTS:
        raise ValueError("b2c_error applies to self_asserted, confirmed and token only")


class FaultInjector:
    """Decides, per request, whether an endpoint misbehaves."""

    def __init__(self) -> None:
        self._queued: dict[str, list[Fault]] = {}
        self._plan: _RandomPlan | None = None
        self.fired: list[tuple[str, str]] = []  # (endpoint, kind) of every fault applied

    def inject(self, endpoint: str, kind: str, count: int | None = 1, **params: Any) -> Fault:
        """Make the next `count` requests to `endpoint` fail with `kind` (None: forever)."""
        _check(endpoint, kind)
        if count is not None and count < 1:
            raise ValueError("count must be at least 1 (or None for unlimited)")
        fault = Fault(endpoint, kind, count, params)
        self._queued.setdefault(endpoint, []).append(fault)
        return fault

    def random(
        self,
        seed: int | str,
        rate: float,
        kinds: Iterable[str] = DEFAULT_RANDOM_KINDS,
        endpoints: Iterable[str] = ENDPOINTS,
        **params: Any,
    ) -> None:
        """Fail a seeded-random share `rate` of requests with one of `kinds`."""
        kinds, endpoints = tuple(kinds), tuple(endpoints)
        for endpoint in endpoints:
            for kind in kinds:
                if kind != "b2c_error":
                    _check(endpoint, kind)
        if not 0 <= rate <= 1:
            raise ValueError("rate is a probability")
        self._plan = _RandomPlan(Random(f"faults:{seed}"), rate, kinds, endpoints, params)

    def clear(self) -> None:
        """Remove queued faults and stop random ones."""
        self._queued.clear()
        self._plan = None

    def pending(self, endpoint: str | None = None) -> int:
        """Queued faults left (unlimited ones count once)."""
        faults = [f for ep, fs in self._queued.items() if endpoint in (None, ep) for f in fs]
        return sum(1 if f.remaining is None else f.remaining for f in faults)

    def take(self, endpoint: str) -> Fault | None:
        """The fault to apply to this request, if any (queued faults first)."""
        queue = self._queued.get(endpoint)
        if queue:
            fault = queue[0]
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining == 0:
                    queue.pop(0)
            self.fired.append((endpoint, fault.kind))
            return fault
        return self._take_random(endpoint)

    def _take_random(self, endpoint: str) -> Fault | None:
        plan = self._plan
        if plan is None or endpoint not in plan.endpoints:
            return None
        if plan.rng.random() >= plan.rate:
            return None
        candidates = [k for k in plan.kinds if k != "b2c_error" or endpoint in B2C_ERROR_ENDPOINTS]
        if not candidates:
            return None
        kind = plan.rng.choice(candidates)
        params = {"seconds": 0.05} if kind == "latency" else {}
        params.update(plan.params)
        self.fired.append((endpoint, kind))
        return Fault(endpoint, kind, None, params)
