"""ERR503: `raise Exception(...)` in service, domain or repository code."""

from __future__ import annotations

import ast
from typing import ClassVar

from stackwise.engine.context import FileContext
from stackwise.findings import Severity
from stackwise.rules._api import Rule
from stackwise.rules.errors._web import layer_of, raised_class

_BARE = frozenset({"builtins.Exception", "builtins.BaseException"})


class BareExceptionInService(Rule):
    """
    ## What it does
    Finds `raise Exception(...)` or `raise BaseException(...)` (the builtin classes
    themselves, not an exception object held in a variable) in a module of the service
    layer, read from the module path as `FAS206` does: the innermost package named
    `services`/`service`, `domain`, `models`, `repositories`/`repository`/`repos`, `crud`,
    `usecases`, `interactors` or `business` (and not `api`, `routes`/`routers`, `views`,
    `endpoints`, `handlers`, `controllers` or `schemas`), or a module named so or ending in
    `_service`, `_repository`, `_repo`, `_crud`. Test modules are not checked.

    ## Why it matters
    Callers cannot catch a bare `Exception` without catching every bug too, so the API layer
    either maps all of them to one status code or lets them become 500s; tests have to match
    the message text. A small hierarchy of domain exceptions (`OrderNotFound`,
    `PaymentDeclined`) lets each caller handle exactly what it expects and lets one exception
    handler map them to HTTP responses.

    ## Example
    ```python
    # app/services/payments.py
    def charge(order: Order) -> Receipt:
        if order.total <= 0:
            raise Exception("order total must be positive")
    ```

    ## Use instead
    ```python
    # app/services/errors.py
    class PaymentError(Exception):  # the payment service's errors
        pass

    class InvalidAmount(PaymentError): ...

    # app/services/payments.py
    def charge(order: Order) -> Receipt:
        if order.total <= 0:
            raise InvalidAmount(order.total)
    ```
    A guard against misuse (`raise Exception("call this inside a transaction")`) is a
    programming error rather than a business rule: raise a specific builtin there
    (`RuntimeError`, `ValueError`, `TypeError`).
    """

    code = "ERR503"
    name = "bare-exception-in-service"
    summary = "`raise Exception` in service/domain code: raise a domain or specific exception"
    severity = Severity.WARNING
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Raise,)
    requires_text: ClassVar[tuple[str, ...]] = ("raise",)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Raise)
        target = raised_class(node, ctx)  # None for `raise error` (re-raising an object)
        if target not in _BARE:
            return
        layer = layer_of(ctx)
        if layer is None:
            return
        name = target.rsplit(".", 1)[-1]
        ctx.report(
            self, node,
            f"bare `{name}` raised in service-layer code (`{layer}`) cannot be caught apart "
            "from bugs; raise a domain exception for a business rule (e.g. `class "
            "PaymentError(Exception)`), or a specific builtin (`ValueError`, `RuntimeError`) "
            "for a programming error",
        )
