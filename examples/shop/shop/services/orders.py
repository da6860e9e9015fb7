"""Placing orders."""

import asyncio


async def place_order(sku: str, quantity: int) -> int:
    await asyncio.sleep(0)
    return 42


async def send_confirmation(order_id: int) -> None:
    await asyncio.sleep(0)
