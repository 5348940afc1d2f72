"""mRemoteNG ``confCons.xml`` (ConfVersion 2.4-2.8): folders, inheritance, SSH tunnels, encrypted passwords."""
