"""Runtime of the recovery-readiness Config rule: the checks (``readiness.py``) and the handler.

This folder is the Lambda's code asset as is (handler ``handler.handler``), so nothing here may
import aws_cdk, and everything but boto3 comes from the standard library. The readiness report CLI
(``mfa_guardrails.cli.readiness``) imports the same checks.
"""
