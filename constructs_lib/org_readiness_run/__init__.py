"""The scheduled organization readiness run: Step Functions Distributed Map, one Lambda per
account, the report in an S3 bucket of ours, Security Hub findings and change alerts."""

from constructs_lib.org_readiness_run.construct import (
    OrganizationReadinessRun,
    OrganizationReadinessRunProps,
)

__all__ = ["OrganizationReadinessRun", "OrganizationReadinessRunProps"]
