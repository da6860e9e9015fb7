"""Client for the inventory service."""

import requests


class InventoryClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def stock(self, sku: str) -> int:
        return int(self._get(f"/stock/{sku}")["available"])

    def _get(self, path: str) -> dict[str, str]:
        response = self.session.get(self.base_url + path, timeout=5)
        response.raise_for_status()
        return dict(response.json())
