from django.contrib import admin

from .models import Customer, Identity


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["display_name", "language", "created_at"]
    search_fields = ["display_name", "identities__external_id"]
    inlines = [IdentityInline]
