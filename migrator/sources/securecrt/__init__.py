"""SecureCRT: the session folder and the XML export, and SecureCRT's password schemes."""
