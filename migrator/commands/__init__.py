"""Sub-commands that live in their own modules; ``migrator.cli`` registers each one."""
