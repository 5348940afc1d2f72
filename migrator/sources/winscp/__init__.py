"""WinSCP: the portable WinSCP.ini and its password obfuscation and master-password encryption."""
