"""Tabby's config.yaml (js-yaml), its profiles, groups and jump hosts, and its encrypted vault."""
