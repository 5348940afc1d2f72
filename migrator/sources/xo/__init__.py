"""Xen Orchestra as a source: ``client`` (HTTP), ``mapping`` (VM -> Host), ``source`` (options, Source)."""
