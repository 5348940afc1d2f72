"""What the tests share: the simulator fixtures, stand-ins, generators and the repository's paths."""
