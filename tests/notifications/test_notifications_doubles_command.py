"""`motcua notify-doubles` starts every stand-in issue 13 names: SMS, Zalo, SMTP, and the Zalo OA
articles and Facebook Page stand-ins of campaigns, each answering over real HTTP/SMTP."""

from __future__ import annotations

import json
import os
import re
import smtplib
import subprocess
import sys
import urllib.parse
import urllib.request

from motcua.campaigns.channels import conf as campaign_conf


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_notify_doubles_starts_sms_zalo_smtp_and_the_campaign_standins() -> None:
    ports = {name: _free_port() for name in ("sms", "zalo", "smtp", "zalo-oa", "facebook")}
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "motcua.settings", "MOTCUA_DEMO": "1"}
    args = [sys.executable, "-m", "motcua", "notify-doubles"]
    for name, port in ports.items():
        args += [f"--{name}-port", str(port)]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()  # printed once every server listens
        assert "Facebook" in banner and "Zalo OA" in banner and "SMTP" in banner, banner
        facebook = re.search(r"Facebook: (http://\S+?);", banner)
        assert facebook and facebook.group(1).endswith(f":{ports['facebook']}")
        page = campaign_conf("CAMPAIGN_FACEBOOK_PAGE_ID")
        body = urllib.parse.urlencode(
            {
                "message": "Cải cách hành chính",
                "access_token": campaign_conf("CAMPAIGN_FACEBOOK_TOKEN"),
            }
        ).encode()
        with urllib.request.urlopen(f"{facebook.group(1)}/{page}/feed", data=body, timeout=10) as r:
            assert json.load(r)["id"].startswith(f"{page}_")
        with smtplib.SMTP("127.0.0.1", ports["smtp"], timeout=10) as smtp:
            assert smtp.noop()[0] == 250
    finally:
        proc.terminate()
        proc.wait(timeout=20)
