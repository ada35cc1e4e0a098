from typing import Any

from django.contrib import admin

from .models import Branch, Category, Department, Membership, Product, RootCause, StaffProfile, Team

LABELS: list[Any] = ["code", "name_zh_hant", "name_zh_hans", "name_en", "is_active"]


@admin.register(Department, Product, RootCause)
class LabelledAdmin(admin.ModelAdmin):
    list_display = LABELS
    search_fields = ["code", "name_zh_hant", "name_zh_hans", "name_en"]


@admin.register(Branch)
class BranchAdmin(LabelledAdmin):
    list_display = [*LABELS, "region", "time_zone"]


@admin.register(Category)
class CategoryAdmin(LabelledAdmin):
    list_display = [*LABELS, "parent"]
    list_select_related = ["parent"]


@admin.register(Team)
class TeamAdmin(LabelledAdmin):
    list_display = [*LABELS, "department", "lead"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "department", "team", "is_head"]
    list_select_related = ["user", "department", "team"]


admin.site.register(StaffProfile)
