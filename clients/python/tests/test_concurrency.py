"""One Client shared by 8 threads: every call succeeds and the counts come
out exact."""

import threading

from ozclient import Code, OzError

THREADS = 8
ROUNDS = 40


def run_threads(work, timeout):
    """Runs work(k) for k in 0..THREADS-1 in threads; fails if any is still
    running after timeout seconds."""
    threads = [threading.Thread(target=work, args=(k,))
               for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "threads hung"


def test_eight_threads_share_one_client(fresh_server):
    errors = []
    made = [[] for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS, timeout=30)

    with fresh_server.client(timeout=30) as oz:
        def work(k):
            try:
                barrier.wait()
                for i in range(ROUNDS):
                    name = "t%d-%d" % (k, i)
                    u = oz.users.create(username=name,
                                        email=name + "@example.com")
                    made[k].append(u.id)
                    assert oz.users.get(u.id).username == name
                    task = oz.tasks.create(u.id, "job %d" % i)
                    oz.tasks.update(task.id, status="done")
                    assert oz.users.get(u.id, with_tasks=True).tasks[0] \
                        .status == 3
                    if i % 2:
                        oz.users.delete(u.id, force=True)
                    oz.health.check()
            except Exception as e:  # reported below, with the thread
                errors.append((k, repr(e)))

        run_threads(work, 90)
        assert errors == []
        users = list(oz.users.list(page_size=1000))
        tasks = list(oz.tasks.list(page_size=1000))
        # Odd rounds deleted their user (and its task).
        assert len(users) == THREADS * ROUNDS // 2
        assert len(tasks) == THREADS * ROUNDS // 2
        assert all(t.status == 3 for t in tasks)
        # Connections are reused: at most one per thread at a time.
        assert oz._pool.dials <= THREADS + 1


def test_concurrent_creates_of_one_email_yield_one_user(fresh_server):
    results = []
    barrier = threading.Barrier(THREADS, timeout=30)
    with fresh_server.client(timeout=30) as oz:
        def work(k):
            barrier.wait()
            try:
                results.append(oz.users.create(
                    username="racer%d" % k, email="race@example.com").id)
            except OzError as e:
                results.append(e.code)

        run_threads(work, 60)
        ok = [r for r in results if isinstance(r, int)
              and not isinstance(r, Code)]
        assert len(ok) == 1
        assert results.count(Code.ALREADY_EXISTS) == THREADS - 1
