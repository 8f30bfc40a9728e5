"""Generated store databases for the benchmarks, generated once and kept between runs.

Generating 1 GB takes minutes; copying a stopped server's data directory takes seconds. So
each (engine, size) store lives in its own server, and after the first generation the server's
data directory is copied to the cache (``STRONGROOM_BENCH_CACHE``). Later sessions copy it back
into a fresh server and start it. The cache key includes a digest of the generator's source,
so a changed generator never serves stale content.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.support import storegen
from tests.support.mariadb import MariaDBServer
from tests.support.postgres import PostgresServer

from strongroom.engines.base import Connection

#: The database (PostgreSQL) or schema (MariaDB) holding the store in every bench server.
STORE_DATABASE = "store"
SEED = 7


@dataclass(frozen=True)
class BenchStore:
    """A running server holding a generated store of ``size``."""

    engine: str
    size: str
    server: PostgresServer | MariaDBServer
    connection: Connection
    counts: dict[str, int]
    generated_seconds: float | None  # None: restored from the cache
    prepare_seconds: float

    def admin(self, database: str) -> Connection:
        """The admin login pointed at another database on the same server."""
        return self.server.admin_connection(database)

    def database_bytes(self) -> int:
        """On-disk size of the store database (tables and indexes)."""
        if isinstance(self.server, PostgresServer):
            rows = self.server.execute(
                STORE_DATABASE, "SELECT pg_database_size(current_database())"
            )
        else:
            rows = self.server.execute(
                None,
                "SELECT SUM(data_length + index_length) FROM information_schema.TABLES "
                "WHERE table_schema = 'store'",
            )
        return int(str(rows[0][0]))

    def stop(self) -> None:
        """Stop the server and remove its data directory (the cache keeps its copy)."""
        self.server.close()


#: ``get(engine, size)`` → a running server with that store (the ``bench_stores`` fixture).
StoreFactory = Callable[[str, str], BenchStore]


def _generator_digest() -> str:
    digest = hashlib.sha256()
    source = Path(storegen.__file__)
    for path in (source, source.with_name("storegen_schema.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def cache_dir(cache: Path, engine: str, size: str) -> Path:
    """Where the data directory of the (engine, size) store is kept."""
    label = size.upper().replace(" ", "")
    return cache / f"{engine}-{label}-seed{SEED}-{_generator_digest()}"


def _copy_tree(source: Path, target: Path) -> None:
    """Copy a data directory keeping owners and modes (``cp -a``; the servers need both)."""
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)


def open_store(engine: str, size: str, *, cache: Path, workdir: Path) -> BenchStore:
    """A running server with the store of ``size``: from the cache, or generated and cached."""
    started = time.monotonic()
    server: PostgresServer | MariaDBServer
    server = PostgresServer(workdir) if engine == "postgresql" else MariaDBServer(workdir)
    cached = cache_dir(cache, engine, size)
    generated: float | None = None
    if (cached / "complete.json").is_file():
        # Initialise as usual (password file, certificates, whatever the fixture sets up),
        # then swap in the cached data directory before the first start.
        server.init()
        shutil.rmtree(server.datadir)
        _copy_tree(cached / "data", server.datadir)
        server.start()
        counts = json.loads((cached / "complete.json").read_text())["counts"]
    else:
        server.start()
        _create(server, STORE_DATABASE)
        gen_started = time.monotonic()
        counts = storegen.generate(
            server.admin_connection(STORE_DATABASE), engine, size=size, seed=SEED
        ).as_dict()
        generated = time.monotonic() - gen_started
        server.stop()
        _save(server.datadir, cached, counts=counts, generated=generated)
        server.start()
    return BenchStore(
        engine=engine,
        size=size,
        server=server,
        connection=server.admin_connection(STORE_DATABASE),
        counts=counts,
        generated_seconds=generated,
        prepare_seconds=time.monotonic() - started,
    )


def _create(server: PostgresServer | MariaDBServer, name: str) -> None:
    server.create_database(name)


def _save(datadir: Path, cached: Path, *, counts: dict[str, int], generated: float) -> None:
    partial = cached.with_name(cached.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    _copy_tree(datadir, partial / "data")
    (partial / "complete.json").write_text(
        json.dumps({"counts": counts, "generated_seconds": round(generated, 1)})
    )
    shutil.rmtree(cached, ignore_errors=True)
    partial.rename(cached)
