from pydantic import BaseModel


class Order(BaseModel):
    id: int
    customer: str
    total: float


class Quote(BaseModel):
    currency: str
    rate: float
