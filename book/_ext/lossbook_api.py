"""A Sphinx directive for the API reference: ``.. lossbook-api:: regression``.

It documents every name of ``lossbook.__all__`` that lives in ``lossbook.<module>``, in
the order of ``__all__``, under the names a reader imports (``lossbook.HuberLoss``), so the
chapters can link to {py:class}`~lossbook.HuberLoss`. A name exported twice (an alias such
as ``SigmoidBCELoss``) is documented once and its alias points to it; an exported module
(``lossbook.registry``) is documented with its own public members. So a loss added to
``__all__`` appears on its family's page without anyone editing the page, and
tests/test_browser.py checks that every exported name has an entry.
"""
import inspect

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList


def _home(obj):
    return obj.__name__ if inspect.ismodule(obj) else getattr(obj, "__module__", None)


def _call_line(name, cls):
    try:
        signature = inspect.signature(cls())
    except Exception:           # a loss without defaults for every constructor argument
        return []
    methods = "``grad``, ``value_and_grad`` and ``elementwise``"
    if getattr(cls, "has_hess_diag", False):
        methods = "``grad``, ``value_and_grad``, ``hess_diag``, ``value_grad_hess_diag`` and ``elementwise``"
    arguments = ", ".join(str(p) for p in signature.parameters.values())
    return ["", f"   **Call:** ``{name}(...)({arguments})`` gives one loss per sample; {methods}"
                " take the same arguments (see :class:`~lossbook.Loss`)."]


def entries(module):
    """reStructuredText for the names of ``lossbook.__all__`` that live in ``module``."""
    import lossbook
    from lossbook.base import Loss

    lines, first_name = [".. currentmodule:: lossbook", ""], {}
    for name in lossbook.__all__:
        obj = getattr(lossbook, name)
        if _home(obj) != f"lossbook.{module}":
            continue
        if id(obj) in first_name:
            lines += [f".. py:data:: {name}", "",
                      f"   Another name for :class:`{first_name[id(obj)]}`.", ""]
            continue
        first_name[id(obj)] = name
        if inspect.ismodule(obj):
            lines += [f".. automodule:: lossbook.{name}", "   :members:", ""]
        elif inspect.isclass(obj) and issubclass(obj, Loss) and obj.__module__ != "lossbook.base":
            own = [m for m in ("value_and_derivative", "value_and_vjp") if m in vars(obj)]
            lines += [f".. autoclass:: {name}"] + ([f"   :members: {', '.join(own)}"] if own else [])
            lines += _call_line(name, obj) + [""]
        elif inspect.isclass(obj):
            lines += [f".. autoclass:: {name}", "   :members:", ""]
        else:
            lines += [f".. autofunction:: {name}", ""]
    return lines


class LossbookAPI(Directive):
    required_arguments = 1

    def run(self):
        lines = entries(self.arguments[0])
        if len(lines) == 2:
            raise self.error(f"lossbook-api: no name of lossbook.__all__ lives in "
                             f"lossbook.{self.arguments[0]}")
        # The pages are MyST markdown, whose parser parses a directive's content: the
        # generated reStructuredText goes through MyST's eval-rst.
        lines = ["```{eval-rst}"] + lines + ["```"]
        container = nodes.section()
        container.document = self.state.document
        self.state.nested_parse(StringList(lines, source=f"lossbook-api {self.arguments[0]}"),
                                self.content_offset, container)
        return container.children


def setup(app):
    app.add_directive("lossbook-api", LossbookAPI)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
