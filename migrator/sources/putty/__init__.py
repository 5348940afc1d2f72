"""sources/putty"""
