"""roost's command line: ``main`` parses, ``serve`` runs the server, ``users`` manages accounts."""


class CliError(Exception):
    """A user-facing failure: its text goes to stderr and the exit status is 1."""
