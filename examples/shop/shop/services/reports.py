"""Invoices as PDF."""

from shop.utils.templates import render_template


def build_invoice_pdf(order_id: int) -> bytes:
    html = render_template("invoice.html", order_id=order_id)
    return html.encode()
