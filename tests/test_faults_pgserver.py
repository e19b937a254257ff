"""A PostgreSQL server of the test's own (``tests/pgcluster.py``, never the shared one)
through the states a restart passes: shutting down while sessions remain (new ones are
refused: SQLSTATE 57P03), a fast shutdown ending the open sessions (57P01), and a start
not yet finished. Each is ``StoreUnavailableError`` (a 503 to the web layer, a pause to
the aggregator), never a bug's exception, and the store answers again once it is up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from feeds.store import Store, StoreUnavailableError, open_store
from feeds.store.engine import create_store_engine
from tests.pgcluster import Cluster, cluster_problem, throwaway_cluster
from tests.waiting import wait_for

pytestmark = pytest.mark.slow  # initdb and a server of its own


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    problem = cluster_problem()
    if problem is not None:
        pytest.skip(problem)
    with throwaway_cluster() as made:
        open_store(made.url).close()  # migrated once
        yield made


def _fresh_store(cluster: Cluster) -> Store:
    """A store with no connection yet: its first call opens one."""
    return Store(create_store_engine(cluster.url))


def _ensure_running(cluster: Cluster) -> None:
    if not cluster.running():
        cluster.start()


def test_a_server_shutting_down_refuses_new_sessions_as_unavailable(cluster: Cluster) -> None:
    _ensure_running(cluster)
    holder = create_engine(cluster.url)
    held = holder.connect()  # a session that keeps a smart stop waiting
    held.execute(text("SELECT 1"))
    cluster.stop("smart", wait=False)
    store = _fresh_store(cluster)
    try:
        wait_for(lambda: not _answers(store), "the server to refuse new sessions")
        with pytest.raises(StoreUnavailableError) as raised:
            store.revision()
        assert raised.value.cause == "server starting or stopping"
        assert "shutting down" in raised.value.detail
        assert held.execute(text("SELECT 2")).scalar_one() == 2  # sessions open go on
    finally:
        held.close()
        holder.dispose()
        store.close()
    wait_for(lambda: not cluster.running(), "the smart shutdown to finish")


def _answers(store: Store) -> bool:
    try:
        store.revision()
    except StoreUnavailableError:
        return False
    return True


def test_a_fast_shutdown_ends_open_sessions_as_unavailable(cluster: Cluster) -> None:
    _ensure_running(cluster)
    store = _fresh_store(cluster)
    try:
        with pytest.raises(StoreUnavailableError) as raised, store._db.reading() as conn:
            conn.execute(text("SELECT 1"))
            cluster.stop("fast")
            conn.execute(text("SELECT 1"))
        assert raised.value.cause == "server shutting down"  # SQLSTATE 57P01
        assert "administrator command" in raised.value.detail
        cluster.start()
        assert store.revision().number == 0  # the next call gets a new connection
    finally:
        store.close()


def test_a_server_still_starting_is_unavailable_until_it_answers(cluster: Cluster) -> None:
    _ensure_running(cluster)
    cluster.stop("fast")
    cluster.start(wait=False)
    store = _fresh_store(cluster)
    causes: list[str] = []

    def answers() -> bool:
        try:
            store.revision()
        except StoreUnavailableError as exc:
            causes.append(exc.cause)  # any other exception fails the test
            return False
        return True

    try:
        wait_for(answers, "the started server to answer", timeout=60, every=0.01)
    finally:
        store.close()
    assert set(causes) <= {"server starting or stopping", "connection refused"}, causes
