"""Who may do what: viewer reads; responder works incidents; lead also sets severity, cancels and approves
post-mortems; admin also configures the org."""

from stormwatch.domain.errors import Forbidden
from stormwatch.domain.models import Caller, Role


def require(caller: Caller, needed: Role) -> None:
    if not caller.has(needed):
        held = ", ".join(sorted(role.value for role in caller.roles)) or "none"
        raise Forbidden(
            f"this action needs the {needed.value} role or above; you have: {held}",
            details={"required_role": needed.value},
        )
