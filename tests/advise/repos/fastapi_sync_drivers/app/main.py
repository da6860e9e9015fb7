"""Orders API: async routes, but the drivers underneath are sync."""

import httpx
import psycopg2
import requests
from fastapi import FastAPI

from app.schemas import Order, Quote

app = FastAPI()
DSN = "postgresql://orders:orders@localhost/orders"


@app.on_event("startup")
async def startup() -> None:
    app.state.ready = True


@app.get("/orders/{order_id}")
async def get_order(order_id: int) -> Order:
    conn = psycopg2.connect(DSN)
    with conn.cursor() as cur:
        cur.execute("SELECT id, customer, total FROM orders WHERE id = %s", (order_id,))
        row = cur.fetchone()
    return Order(id=row[0], customer=row[1], total=row[2])


@app.get("/quotes/{currency}")
async def get_quote(currency: str) -> Quote:
    response = requests.get("https://rates.example.com/" + currency, timeout=5)
    return Quote(currency=currency, rate=response.json()["rate"])


@app.get("/health/upstream")
async def upstream() -> dict[str, int]:
    async with httpx.AsyncClient() as client:
        response = await client.get("https://rates.example.com/health")
    return {"status": response.status_code}


@app.get("/version")
def version() -> dict[str, str]:
    return {"version": "0.1.0"}
