"""Stacks compose constructs_lib constructs; :func:`add_topology` picks them from the config."""

from stacks.topology import add_topology

__all__ = ["add_topology"]
