from celery import shared_task

from shop.models import Order


@shared_task(autoretry_for=(ConnectionError,), max_retries=5)
def send_receipt(order_id):
    order = Order.objects.get(pk=order_id)
    return order.customer.name
