from django.apps import AppConfig


class HomeserviceConfig(AppConfig):
    name = "motcua.homeservice"
    label = "homeservice"
    verbose_name = "Phục vụ tại nhà"

    def ready(self) -> None:
        # A home visit's events (booked, assigned, arrived, no one home, rescheduled...) are kept
        # on the visit; the dossier's timeline and the public lookup read them from here.
        from motcua.dossiers.selectors import timeline_source_register
        from motcua.homeservice.selectors import visit_timeline_public_sql, visit_timeline_rows

        timeline_source_register(visit_timeline_rows, public_sql=visit_timeline_public_sql)
