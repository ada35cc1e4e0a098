from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model

from tingjian.org import services
from tingjian.org.models import Branch, Category, Department, Product, RootCause


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept-{n}")
    name_zh_hant = factory.LazyAttribute(lambda o: f"部門 {o.code}")
    name_zh_hans = factory.LazyAttribute(lambda o: f"部门 {o.code}")
    name_en = factory.LazyAttribute(lambda o: f"Department {o.code}")


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"branch-{n}")
    name_zh_hant = factory.LazyAttribute(lambda o: f"分店 {o.code}")
    name_zh_hans = factory.LazyAttribute(lambda o: f"分店 {o.code}")
    name_en = factory.LazyAttribute(lambda o: f"Branch {o.code}")
    region = "北部"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"product-{n}")
    name_zh_hant = "牛肉麵"
    name_zh_hans = "牛肉面"
    name_en = "Beef noodles"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"category-{n}")
    parent = factory.SubFactory(
        "tingjian.org.tests.factories.CategoryFactory", parent=None, code=factory.Sequence(lambda n: f"group-{n}")
    )
    name_zh_hant = "餐點品質"
    name_zh_hans = "餐点品质"
    name_en = "Food quality"


class RootCauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RootCause
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cause-{n}")
    name_zh_hant = "作業疏失"
    name_zh_hans = "作业疏失"
    name_en = "Procedure not followed"


def make_user(username: str, *roles: str, departments: tuple[Department, ...] = (), password: str = "pw-for-tests-1") -> Any:
    user = get_user_model().objects.create_user(username=username, password=password, email=f"{username}@example.com")
    services.set_roles(user, roles)
    for dept in departments:
        services.join_department(user, dept)
    return get_user_model().objects.get(pk=user.pk)  # fresh: no cached permissions
