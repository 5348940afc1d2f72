"""sources/ssh_config"""
