"""The PostgreSQL pool's size follows the server's threads unless DB_POOL_MAX is given."""

from __future__ import annotations

from motcua.settings import db_pool_max


def test_eight_connections_by_default():
    assert db_pool_max({}) == 8


def test_a_threaded_server_gets_one_connection_a_thread_and_two_more():
    assert db_pool_max({"WEB_THREADS": "16"}) == 18
    assert db_pool_max({"WEB_THREADS": "4"}) == 8  # never fewer than 8


def test_db_pool_max_wins():
    assert db_pool_max({"DB_POOL_MAX": "5", "WEB_THREADS": "16"}) == 5
    assert db_pool_max({"DB_POOL_MAX": "", "WEB_THREADS": "32"}) == 34
