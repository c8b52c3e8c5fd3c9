from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "motcua.campaigns"
    label = "campaigns"
    verbose_name = "Chiến dịch truyền thông cải cách hành chính và đăng ký nhận tin"
