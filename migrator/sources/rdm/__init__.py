"""Devolutions Remote Desktop Manager .rdm XML exports."""
