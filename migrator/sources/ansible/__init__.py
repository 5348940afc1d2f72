"""Ansible inventories (INI and YAML), read without Ansible and without a YAML library."""

from migrator.sources.ansible.source import AnsibleOptions, AnsibleSource, parse_inventory

__all__ = ["AnsibleOptions", "AnsibleSource", "parse_inventory"]
