from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsConfig(AppConfig):
    name = "guanjia.requests"
    label = "requests"
    verbose_name = _("Enterprise requests")

    def ready(self) -> None:
        """Plug the request rules into the apps below (see `guanjia.core.hooks`)."""
        from guanjia.accounts.scope import REFERENCES
        from guanjia.core.errors import unavailable_forms
        from guanjia.core.nav import register
        from guanjia.core.sheets import jobs
        from guanjia.enterprises import services as enterprise_services

        from . import access, open311, queue, refcache, services
        from .importers import job_importer

        REFERENCES.register(access.referenceable_requests, key="request")
        REFERENCES.register(access.assignable_people, key="assignee")
        REFERENCES.register(access.assignable_departments, key="request_department")
        unavailable_forms.register(open311.unavailable_response, key="/open311/")
        register("requests", _("Direct line"), "requests:queue", access.may_open, order=50)
        jobs.register("requests", job_importer, "requests:import_job")
        enterprise_services.on_steward_changed.register(services.follow_new_steward, key="requests")
        refcache.watch()
        queue.watch_picker()
