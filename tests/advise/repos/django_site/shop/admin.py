from django.contrib import admin

from shop.models import Customer, Order


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "total")


admin.site.register(Customer)
