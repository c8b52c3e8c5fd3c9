"""Static files with content-hashed names, pre-compressed, cached for a year by browsers.

WhiteNoise's CompressedManifestStaticFilesStorage writes `app.3f2a1c9d8e7b.css` (+ .gz/.br)
at `collectstatic` and a manifest mapping names to hashed names; WhiteNoise then serves
hashed files with `Cache-Control: max-age=315360000, public, immutable`. The stock storage
raises for any file missing from the manifest, which breaks a checkout where collectstatic has
not run (tests, `motcua runserver`) or a file added since: here such a file is linked by its
plain name, which WhiteNoise (WHITENOISE_USE_FINDERS) serves from the app's folder with a
short cache lifetime. A stale page never points at a file that does not exist.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def stored_name(self, name: str) -> str:
        hashed = self.hashed_files.get(self.hash_key(self.clean_name(name)))
        return str(hashed) if hashed is not None else name
