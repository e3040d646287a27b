from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that are evidence (access log, role history): the admin shows them, nobody edits them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
