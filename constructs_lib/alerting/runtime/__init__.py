"""Runtime of the alert notifier Lambda: the watched-event catalog and the handler.

This folder is the Lambda's code asset as is (handler ``handler.handler``), so nothing here may
import aws_cdk, and everything but boto3 comes from the standard library.
"""
