"""sources/tabular"""
