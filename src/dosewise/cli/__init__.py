"""The command-line interface: thin commands that parse input, call services and render output."""
