"""The visible fields of a bound form, rendered once for the same data and cached.

Django renders each widget, and each option of a select, through a template of its own, which
made the filters a large share of the list page (docs/performance.md, "Caches"). What the
filters and the search form show comes from the query string and from the choices the page
passes in (the character's tags, the reader's characters), and from nothing else; both make
the key.
"""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.http import QueryDict
from django.utils.safestring import SafeString, mark_safe

from convai_dashboard.cached import kept

register = template.Library()


@register.simple_tag(takes_context=True)
def visible_fields(context: template.Context, form: forms.Form, choices: Any) -> SafeString:
    """Each visible field of `form` through _field.html; `choices` is what its choice fields
    list, as values (what changes them must change it)."""
    assert isinstance(form.data, QueryDict)  # a query string's form: names may repeat

    def render() -> str:
        assert context.template is not None  # a tag is rendered as part of a template
        field_template = context.template.engine.get_template("_field.html")
        return "".join(
            field_template.render(template.Context({"field": field}, autoescape=True))
            for field in form.visible_fields()
        )

    # Rendered by _field.html, which escapes every text.
    return mark_safe(
        kept(
            "form-fields",
            render,
            characters=(),
            reader=None,
            reads=(type(form).__qualname__, sorted(form.data.lists()), choices),
        )
    )
