from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "motcua.delivery"
    label = "delivery"
    verbose_name = "Trả kết quả tại nhà và bưu chính công ích"

    def ready(self) -> None:
        # Delivery milestones are DossierEvent rows (the dossier's timeline, the public lookup);
        # their labels join the dossier's action labels here so the dossier app needs no edit.
        from motcua.delivery.models import EVENT_LABELS
        from motcua.dossiers.workflow import ACTION_LABELS

        for action, label in EVENT_LABELS.items():
            ACTION_LABELS.setdefault(action, label)
