"""Template filters of the operator portal's own templates."""

from django import template

from postpay_portal.admin_site import breakable, breakable_html

register = template.Library()

register.filter("breakable", breakable)
register.filter("breakable_html", breakable_html)
