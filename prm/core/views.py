"""Views of the core: liveness for load balancers and container health checks."""

from django.db import connection
from django.http import JsonResponse
from django.views import View


class HealthView(View):
    """Liveness and database reachability, for load balancers and container health checks."""

    public = True

    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok"})
