"""Running the registered checks, and the summary a cron job or a monitor reads."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from core.integrity import CHECKS, Context, Finding

# Exit statuses of `manage.py check_integrity`.
CLEAN = 0
DAMAGED = 1
FAILED = 2


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    items: int = 0
    errors: list[str] = field(default_factory=list)  # checks that could not finish

    @property
    def remaining(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.repaired]

    @property
    def status(self) -> int:
        if self.errors:
            return FAILED
        return DAMAGED if self.remaining else CLEAN

    def summary(self, checks: int) -> str:
        repaired = len(self.findings) - len(self.remaining)
        state = {CLEAN: "ok", DAMAGED: "DAMAGED", FAILED: "FAILED"}[self.status]
        return (
            f"integrity {state}: {checks} checks, {self.items} items, "
            f"{len(self.findings)} problems ({repaired} repaired, {len(self.remaining)} "
            f"remaining), {len(self.errors)} checks failed"
        )


def run_checks(
    context: Context,
    names: Iterable[str] | None = None,
    on_finding: Callable[[Finding], None] = lambda finding: None,
) -> Report:
    report = Report()
    step = context.step

    def counted(label: str) -> None:
        report.items += 1
        step(label)

    context.step = counted
    for name in names or sorted(CHECKS):
        try:
            for finding in CHECKS[name](context):
                report.findings.append(finding)
                on_finding(finding)
        except Exception as error:  # a broken check must not hide the others' findings
            report.errors.append(f"{name}: {type(error).__name__}: {error}")
    context.step = step
    return report
