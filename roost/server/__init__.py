"""roost: an IMAP4rev2 / IMAP4rev1 mail server."""
