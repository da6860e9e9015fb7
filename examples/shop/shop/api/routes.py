"""HTTP routes of the shop."""

import asyncio
import time

import httpx
from fastapi import APIRouter

from shop.clients.inventory import InventoryClient
from shop.services import build_invoice_pdf
from shop.services.orders import place_order, send_confirmation
from shop.utils.legacy import fetch_rates

router = APIRouter()
inventory = InventoryClient("http://inventory.internal")


@router.get("/orders/{order_id}/invoice")
async def invoice(order_id: int) -> bytes:
    # build_invoice_pdf -> render_template -> read_template -> open(): blocks the event loop
    return build_invoice_pdf(order_id)


@router.get("/orders/{order_id}/invoice-offloaded")
async def invoice_offloaded(order_id: int) -> bytes:
    # the same work, done right: run in a worker thread
    return await asyncio.to_thread(build_invoice_pdf, order_id)


@router.post("/orders")
async def create_order(sku: str, quantity: int) -> dict[str, int]:
    if inventory.stock(sku) < quantity:  # requests.Session.get two calls down
        return {"created": 0}
    order_id = await place_order(sku, quantity)
    send_confirmation(order_id)  # a coroutine, never awaited: the email is never sent
    return {"created": order_id}


@router.get("/rates")
async def rates() -> dict[str, float]:
    for attempt in range(3):
        try:
            return fetch_rates()  # declared blocking in [tool.stackwise]
        except ConnectionError:
            time.sleep(2**attempt)  # sleeps the whole server, not just this request
    return {}


@router.get("/health")
async def health() -> dict[str, str]:
    async with httpx.AsyncClient() as client:  # does not block, but is built per request (FAS201)
        response = await client.get("http://inventory.internal/health")
    return {"inventory": response.text}
