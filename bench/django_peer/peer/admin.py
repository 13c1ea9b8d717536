"""The three lists as Django admin shows them: same columns, joins, filters and search as our
views (app/complaints/views.py ComplaintView, app/property/staff/views.py StaffView,
app/system/views.py AuditLogView). A region user (district1) sees what our scope shows."""
from datetime import datetime

from django.contrib import admin
from django.db.models import Q

from .models import AuditLog, Complaint, StaffArea, Staff

# username -> region prefix (our district1's organisation is region 500103)
REGION_OF = {"district1": "500103"}


def _upper(prefix):
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ["area", "district", "street", "content_short", "org", "status", "remaining_time",
                    "submitted_at", "number"]
    list_select_related = ["area", "org", "district", "street"]
    list_filter = ["stage", "district", "street"]
    search_fields = ["content"]
    ordering = ["-submitted_at"]
    list_per_page = 20
    actions = None

    @admin.display(description="内容")
    def content_short(self, obj):
        text = obj.content or ""
        return text if len(text) <= 20 else text[:20] + "…"

    @admin.display(description="剩余处理时间")
    def remaining_time(self, obj):
        if obj.stage not in ("pending", "processing") or obj.due_at is None:
            return "-"
        hours = int((obj.due_at - datetime.now()).total_seconds() // 3600)
        return f"剩余{hours}小时" if hours >= 0 else f"超期{-hours}小时"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        prefix = REGION_OF.get(request.user.username)
        if prefix and len(prefix) == 6:
            qs = qs.filter(district_id=prefix)
        return qs

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["name", "mobile", "id_number", "post", "org", "area_names", "username", "status", "left_on",
                    "id"]
    list_display_links = ["name"]
    list_select_related = ["org", "user"]
    list_filter = ["status"]
    search_fields = ["org__name"]
    ordering = ["-id"]
    list_per_page = 20
    actions = None

    @admin.display(description="在管物业管理区域")
    def area_names(self, obj):
        return "、".join(a.name for a in obj.areas.all()) or "-"

    @admin.display(description="用户名")
    def username(self, obj):
        return obj.user.username if obj.user_id else ""

    def get_queryset(self, request):
        qs = super().get_queryset(request).prefetch_related("areas")
        prefix = REGION_OF.get(request.user.username)
        if prefix:
            rng = {"gte": prefix, "lt": _upper(prefix)}
            in_areas = StaffArea.objects.filter(area__region_code__gte=rng["gte"],
                                                area__region_code__lt=rng["lt"]).values("staff_id")
            qs = qs.filter(Q(id__in=in_areas) | Q(org__region_code__gte=rng["gte"], org__region_code__lt=rng["lt"]))
        return qs

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["ts", "username", "ip", "action", "entity", "entity_id", "summary"]
    list_filter = ["action"]
    search_fields = ["summary"]
    ordering = ["-id"]
    list_per_page = 50
    actions = None

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser
