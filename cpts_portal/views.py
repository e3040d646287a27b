from django.shortcuts import render

from core.access import public


@public
def home(request):
    """Anonymous visitors get the portal's welcome; a signed-in user gets their dashboard, by role."""
    template = "dashboard.html" if request.user.is_authenticated else "welcome.html"
    return render(request, template)
