from django.http import JsonResponse
from django.shortcuts import render

from shop.models import Order


def order_list(request):
    orders = Order.objects.all()
    return render(request, "shop/order_list.html", {"orders": orders})


async def order_total(request, order_id):
    order = Order.objects.get(pk=order_id)
    return JsonResponse({"total": str(order.total)})
