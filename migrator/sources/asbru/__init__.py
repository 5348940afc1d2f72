"""Ásbrú Connection Manager and PAC Manager configurations (``asbru.yml``, ``pac.yml``, exports)."""
