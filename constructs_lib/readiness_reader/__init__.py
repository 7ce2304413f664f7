"""The read-only role the organization readiness report assumes in each account."""

from constructs_lib.readiness_reader.construct import ReadinessReader, ReadinessReaderProps

__all__ = ["ReadinessReader", "ReadinessReaderProps"]
