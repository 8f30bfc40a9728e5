"""The store schema and its seeded row generators, shared by both engines' loaders.

Every value is a function of the seed, the table and the row number, so PostgreSQL and MariaDB
receive identical logical content. Linked values (an order's total and its payment amount) are
pure arithmetic on the row number, so the generators stream independently, table by table.
"""

from __future__ import annotations

import datetime as dt
import decimal
import random
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

_BASE_TIME = dt.datetime(2022, 1, 1, tzinfo=dt.UTC)
_THREE_YEARS = 3 * 365 * 86400
#: Measured on-disk bytes (rows + indexes) per customer with its orders, items, payments.
_BYTES_PER_CUSTOMER = 3700

FIRST = [
    "Anna",
    "José",
    "Zoë",
    "Łukasz",
    "Søren",
    "Ægir",
    "Chloé",
    "Björn",
    "Ingrid",
    "Mateo",
    "美咲",
    "Ørjan",
    "İlkay",
    "Nguyễn",
    "Aoife",
    "Siobhán",
    "Dmitrij",
    "Fatima",
    "Kai",
    "Lena",
]
LAST = [
    "Müller",
    "O'Brien",
    "García",
    "Kowalski",
    "Østergaard",
    "Dupont",
    "田中",
    "Smith",
    "Nuñez",
    "Papadopoulos",
    "van der Berg",
    "Jäger",
    "Novák",
    "Öztürk",
    "Ní Bhriain",
]
CITIES = ["Berlin", "Kraków", "Malmö", "São Paulo", "Zürich", "Lyon", "Dublin", "København"]
STREETS = ["Hauptstraße", "Rue de la Paix", "Main Street", "Ulica Długa", "Calle Mayor"]
COUNTRIES = ["DE", "PL", "SE", "BR", "CH", "FR", "IE", "DK"]
PRODUCTS = ["Espresso cup", "Linen shirt", "Trail shoe", "Desk lamp", "Wool scarf", "Teapot"]
COLORS = ["red", "slate", "oat", "forest green", "ink blue"]
WORDS = [
    "order",
    "parcel",
    "arrived",
    "late",
    "refund",
    "please",
    "size",
    "wrong",
    "colour",
    "lovely",
    "thanks",
    "courier",
    "tracking",
    "number",
    "invoice",
    "address",
    "changed",
    "damaged",
    "box",
    "return",
    "label",
    "exchange",
]


@dataclass(frozen=True)
class Column:
    """One column: its name, engine types, and a hint for normalisation (``json``)."""

    name: str
    pg: str
    maria: str
    kind: str = ""


@dataclass(frozen=True)
class Table:
    """One table of the store schema."""

    name: str
    columns: tuple[Column, ...]


def _c(name: str, pg: str, maria: str | None = None, kind: str = "") -> Column:
    return Column(name, pg, maria or pg, kind)


_ID = _c("id", "bigint PRIMARY KEY", "BIGINT PRIMARY KEY")
_TS = ("timestamptz NOT NULL", "DATETIME(6) NOT NULL")
_TS_NULL = ("timestamptz", "DATETIME(6) NULL")
TABLES: tuple[Table, ...] = (
    Table(
        "customers",
        (
            _ID,
            _c("email", "varchar(255) NOT NULL"),
            _c("full_name", "varchar(200) NOT NULL"),
            _c("phone", "varchar(40)"),
            _c("country", "char(2) NOT NULL"),
            _c("created_at", *_TS),
            _c("marketing_opt_in", "smallint NOT NULL"),
        ),
    ),
    Table(
        "addresses",
        (
            _ID,
            _c("customer_id", "bigint NOT NULL"),
            _c("kind", "varchar(16) NOT NULL"),
            _c("line1", "varchar(200) NOT NULL"),
            _c("line2", "varchar(200)"),
            _c("city", "varchar(100) NOT NULL"),
            _c("postcode", "varchar(16) NOT NULL"),
            _c("country", "char(2) NOT NULL"),
        ),
    ),
    Table(
        "orders",
        (
            _ID,
            _c("customer_id", "bigint NOT NULL"),
            _c("shipping_address_id", "bigint"),
            _c("status", "varchar(16) NOT NULL"),
            _c("placed_at", *_TS),
            _c("currency", "char(3) NOT NULL"),
            _c("total", "numeric(12,2) NOT NULL"),
            _c("notes", "text"),
        ),
    ),
    Table(
        "order_items",
        (
            _ID,
            _c("order_id", "bigint NOT NULL"),
            _c("sku", "varchar(32) NOT NULL"),
            _c("description", "varchar(255) NOT NULL"),
            _c("quantity", "integer NOT NULL"),
            _c("unit_price", "numeric(10,2) NOT NULL"),
        ),
    ),
    Table(
        "payments",
        (
            _ID,
            _c("order_id", "bigint NOT NULL"),
            _c("provider", "varchar(32) NOT NULL"),
            _c("status", "varchar(16) NOT NULL"),
            _c("amount", "numeric(12,2) NOT NULL"),
            _c("paid_at", *_TS_NULL),
            _c("details", "jsonb NOT NULL", "JSON NOT NULL", "json"),
        ),
    ),
    Table(
        "support_tickets",
        (
            _ID,
            _c("customer_id", "bigint NOT NULL"),
            _c("order_id", "bigint"),
            _c("subject", "varchar(200) NOT NULL"),
            _c("body", "text NOT NULL"),
            _c("priority", "smallint NOT NULL"),
            _c("opened_at", *_TS),
            _c("closed_at", *_TS_NULL),
        ),
    ),
)

#: Indexes and foreign keys, added after loading (same SQL on both engines).
CONSTRAINTS: tuple[str, ...] = (
    "CREATE UNIQUE INDEX customers_email ON customers (email)",
    "CREATE INDEX addresses_customer ON addresses (customer_id)",
    "CREATE INDEX orders_customer ON orders (customer_id)",
    "CREATE INDEX orders_placed_at ON orders (placed_at)",
    "CREATE INDEX order_items_order ON order_items (order_id)",
    "CREATE INDEX payments_order ON payments (order_id)",
    "CREATE INDEX support_tickets_customer ON support_tickets (customer_id)",
    (
        "ALTER TABLE addresses ADD CONSTRAINT addresses_customer_fk"
        " FOREIGN KEY (customer_id) REFERENCES customers (id)"
    ),
    (
        "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk"
        " FOREIGN KEY (customer_id) REFERENCES customers (id)"
    ),
    (
        "ALTER TABLE orders ADD CONSTRAINT orders_address_fk"
        " FOREIGN KEY (shipping_address_id) REFERENCES addresses (id)"
    ),
    (
        "ALTER TABLE order_items ADD CONSTRAINT order_items_order_fk"
        " FOREIGN KEY (order_id) REFERENCES orders (id)"
    ),
    (
        "ALTER TABLE payments ADD CONSTRAINT payments_order_fk"
        " FOREIGN KEY (order_id) REFERENCES orders (id)"
    ),
    (
        "ALTER TABLE support_tickets ADD CONSTRAINT support_tickets_customer_fk"
        " FOREIGN KEY (customer_id) REFERENCES customers (id)"
    ),
    (
        "ALTER TABLE support_tickets ADD CONSTRAINT support_tickets_order_fk"
        " FOREIGN KEY (order_id) REFERENCES orders (id)"
    ),
)


def create_statements(engine: str) -> list[str]:
    """``CREATE TABLE`` statements (no secondary indexes or foreign keys yet)."""
    suffix = "" if engine == "postgresql" else " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
    return [
        f"CREATE TABLE {t.name} ("
        + ", ".join(f"{c.name} {c.pg if engine == 'postgresql' else c.maria}" for c in t.columns)
        + ")"
        + suffix
        for t in TABLES
    ]


@dataclass(frozen=True)
class Counts:
    """Row counts per table for one generated store."""

    customers: int
    addresses: int
    orders: int
    order_items: int
    payments: int
    support_tickets: int

    def as_dict(self) -> dict[str, int]:
        """Counts keyed by table name."""
        return asdict(self)


def counts_for(size_bytes: int) -> Counts:
    """Row counts that make a store of roughly ``size_bytes`` on disk."""
    customers = max(10, size_bytes // _BYTES_PER_CUSTOMER)
    orders = customers * 4
    return Counts(
        customers=customers,
        addresses=customers * 3 // 2,
        orders=orders,
        order_items=orders * 3,
        payments=orders,
        support_tickets=max(1, customers // 3),
    )


def _money(n: int, spread: int = 50_000) -> decimal.Decimal:
    return decimal.Decimal((n * 7919) % spread + 199).scaleb(-2)


def _when(rng: random.Random) -> dt.datetime:
    return _BASE_TIME + dt.timedelta(
        seconds=rng.randrange(_THREE_YEARS), microseconds=rng.randrange(1_000_000)
    )


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _customers(rng: random.Random, n: Counts) -> Iterator[tuple[object, ...]]:
    for i in range(1, n.customers + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        phone = None if rng.random() < 0.2 else f"+49 30 {rng.randrange(10**7):07d}"
        yield (
            i,
            f"customer{i}@example.com",
            f"{first} {last}",
            phone,
            rng.choice(COUNTRIES),
            _when(rng),
            int(rng.random() < 0.4),
        )


def _addresses(rng: random.Random, n: Counts) -> Iterator[tuple[object, ...]]:
    for j in range(1, n.addresses + 1):
        line2 = None if rng.random() < 0.7 else f"Apt {rng.randint(1, 99)}"
        yield (
            j,
            (j - 1) % n.customers + 1,
            "shipping" if j <= n.customers else "billing",
            f"{rng.randint(1, 250)} {rng.choice(STREETS)}",
            line2,
            rng.choice(CITIES),
            f"{rng.randrange(100000):05d}",
            rng.choice(COUNTRIES),
        )


def _orders(rng: random.Random, n: Counts) -> Iterator[tuple[object, ...]]:
    for k in range(1, n.orders + 1):
        customer = rng.randint(1, n.customers)
        address = customer if rng.random() > 0.05 else None
        notes = None if rng.random() < 0.75 else _sentence(rng, rng.randint(3, 15))
        yield (
            k,
            customer,
            address,
            rng.choice(["placed", "paid", "shipped", "returned"]),
            _when(rng),
            rng.choice(["EUR", "USD", "GBP", "PLN"]),
            _money(k),
            notes,
        )


def _order_items(rng: random.Random, n: Counts) -> Iterator[tuple[object, ...]]:
    for m in range(1, n.order_items + 1):
        yield (
            m,
            (m - 1) // 3 + 1,
            f"SKU-{rng.randrange(100000):05d}",
            f"{rng.choice(PRODUCTS)}, {rng.choice(COLORS)}",
            rng.randint(1, 5),
            decimal.Decimal(rng.randrange(99, 99_999)).scaleb(-2),
        )


def _payments(rng: random.Random, n: Counts) -> Iterator[tuple[object, ...]]:
    for p in range(1, n.payments + 1):
        status = rng.choice(["captured", "captured", "captured", "failed", "pending"])
        details = {
            "card_brand": rng.choice(["visa", "mastercard", "amex"]),
            "last4": f"{rng.randrange(10000):04d}",
            "three_ds": rng.random() < 0.8,
            "risk_score": round(rng.random(), 3),
            "attempts": rng.randint(1, 3),
        }
        yield (
            p,
            p,
            rng.choice(["stripe", "adyen", "paypal"]),
            status,
            _money(p),
            _when(rng) if status == "captured" else None,
            details,
        )


def _support_tickets(rng: random.Random, n: Counts) -> Iterator[tuple[object, ...]]:
    for t in range(1, n.support_tickets + 1):
        order = None if rng.random() < 0.4 else rng.randint(1, n.orders)
        paragraphs = [_sentence(rng, rng.randint(8, 30)) for _ in range(rng.randint(1, 4))]
        body = "\n\n".join(paragraphs) + (
            "\nSee C:\\Users\\shop\\invoice.pdf\t(attached)" if t % 7 == 0 else ""
        )
        opened = _when(rng)
        closed = None if rng.random() < 0.3 else opened + dt.timedelta(hours=rng.randint(1, 400))
        yield (
            t,
            rng.randint(1, n.customers),
            order,
            _sentence(rng, rng.randint(3, 8)),
            body,
            rng.randint(1, 4),
            opened,
            closed,
        )


_GENERATORS: dict[str, Callable[[random.Random, Counts], Iterator[tuple[object, ...]]]] = {
    "customers": _customers,
    "addresses": _addresses,
    "orders": _orders,
    "order_items": _order_items,
    "payments": _payments,
    "support_tickets": _support_tickets,
}


def rows_for(table: str, counts: Counts, seed: int) -> Iterator[tuple[object, ...]]:
    """The rows of ``table``, in id order, for ``counts`` and ``seed``."""
    return _GENERATORS[table](random.Random(f"{seed}:{table}"), counts)
