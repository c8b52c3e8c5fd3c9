from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "motcua.portal"
    label = "portal"
    verbose_name = "Cổng thông tin"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from motcua.catalog.models import Field, Procedure, ProcedureVersion
        from motcua.core.cache import bump_pages
        from motcua.org.models import Unit
        from motcua.portal.models import Announcement, WebLink

        # Cached public pages (core.cache.shared_page) dropped when what they show changes.
        # Dossier figures are not bumped per dossier event (several a second in a city, and
        # the figures themselves are kept on a timer by cached_figure): the statistics page
        # lives as long as its figures (STATS_CACHE_SECONDS, 5 minutes), the home page a
        # minute (its visitor counts and the year's figures). Another process sees a bump
        # within core.cache.PAGE_VERSION_MEMO (1 s).
        groups = {
            Announcement: ("home",),
            WebLink: ("home",),
            Field: ("home", "procedures", "statistics"),
            Procedure: ("procedures",),
            ProcedureVersion: ("procedures",),
            Unit: ("statistics",),  # the statistics page's list of units
        }
        for model, names in groups.items():

            def changed(sender, names=names, **kwargs):  # type: ignore[no-untyped-def]
                bump_pages(*names)

            post_save.connect(
                changed, sender=model, weak=False, dispatch_uid=f"pages-{model.__name__}"
            )
            post_delete.connect(
                changed, sender=model, weak=False, dispatch_uid=f"pages-del-{model.__name__}"
            )
