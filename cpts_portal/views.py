from django.shortcuts import render

from core.access import public
from cpts_portal.navigation import dashboard_tiles


@public
def home(request):
    """Anonymous visitors get the portal's welcome; a signed-in user gets their dashboard, by role."""
    if not request.user.is_authenticated:
        return render(request, "welcome.html")
    return render(request, "dashboard.html", {"tiles": dashboard_tiles(request.user)})
