"""Remmina profiles (``*.remmina``) and the secret of ``remmina.pref`` that decrypts their passwords."""
