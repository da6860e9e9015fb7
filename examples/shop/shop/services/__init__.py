"""Business logic; routes call these."""

from shop.services.reports import build_invoice_pdf

__all__ = ["build_invoice_pdf"]
