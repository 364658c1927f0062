"""SerialProxySettings: every field is read from `SERIAL_PROXY_<FIELD>`."""

from typing import Literal, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from app.proxy.endpoints import Endpoint, parse_endpoints, parse_names, parse_pairs
from app.proxy.settings import ProxySettings

StepPolicy = Literal["fail", "skip"]
_POLICIES: tuple[StepPolicy, ...] = ("fail", "skip")


class SerialProxySettings(ProxySettings):
    """The serial proxy in front of a chain of predictors."""

    model_config = SettingsConfigDict(env_prefix="SERIAL_PROXY_")

    steps: str
    """The chain in call order, name=url pairs, comma-separated (required, no default)."""

    step_timeout_s: float = Field(default=1.0, gt=0)
    """The most one step may take, connection included; then its failure policy applies."""

    failure_policy: StepPolicy = "fail"
    """What a step's service failure does unless step_policies says otherwise: fail or skip."""

    step_policies: str = ""
    """Per-step failure policies, name=fail|skip pairs, e.g. step-3=skip."""

    conditional_steps: str = ""
    """Steps that run only for rows whose latest prediction is unsure (comma-separated)."""

    confidence_threshold: float = Field(default=0.9, gt=0, le=1)
    """A conditional step runs for rows whose top class probability is below this."""

    @field_validator("steps")
    @classmethod
    def _endpoints(cls, value: str) -> str:
        parse_endpoints(value)
        return value

    @model_validator(mode="after")
    def _known_steps(self) -> Self:
        names = {endpoint.name for endpoint in self.endpoints()}
        for name, policy in parse_pairs(self.step_policies):
            if policy not in _POLICIES:
                raise ValueError(f"step_policies: {name}={policy} is not fail or skip")
        mentioned = [name for name, _ in parse_pairs(self.step_policies)]
        unknown = [n for n in [*mentioned, *parse_names(self.conditional_steps)] if n not in names]
        if unknown:
            raise ValueError(f"steps {unknown} are not in steps ({', '.join(sorted(names))})")
        return self

    def endpoints(self) -> list[Endpoint]:
        """The steps in call order."""
        return parse_endpoints(self.steps)

    def policy(self, step: str) -> StepPolicy:
        """The failure policy of `step`."""
        chosen = dict(parse_pairs(self.step_policies)).get(step, self.failure_policy)
        return "skip" if chosen == "skip" else "fail"

    def conditional(self) -> set[str]:
        """The steps that run only for unsure rows."""
        return set(parse_names(self.conditional_steps))
