"""Fixtures of the integration tests that start real peers beyond the database."""

from __future__ import annotations

from tests.imap_server import dovecot_servers_fixture, imap_account_fixture

# Each test gets its own account on a shared Dovecot (tests/imap_server.py); a server announcing no
# MOVE (or neither MOVE nor UIDPLUS) exercises the client's fallbacks.
dovecot_servers = dovecot_servers_fixture()
imap_server = imap_account_fixture()
imap_server_without_move = imap_account_fixture(without=("MOVE",))
imap_server_without_move_or_uidplus = imap_account_fixture(without=("MOVE", "UIDPLUS"))
