"""Refusals of the face pipeline: a stable code the kiosk acts on, a Vietnamese instruction."""

from __future__ import annotations

from motcua.core.errors import DomainError


class FaceRejected(DomainError):
    """The image cannot be used for a face check; `code` says why, `message` what to do."""

    code = "face_rejected"
    status = 422
    message = "Không dùng được ảnh này để nhận diện khuôn mặt. Vui lòng thử lại."


class ImageRejected(FaceRejected):
    """The upload is not a usable JPEG/PNG image (codes `bad_image`, `image_too_large`)."""

    code = "bad_image"
    message = "Tệp gửi lên không phải ảnh JPEG hoặc PNG hợp lệ."


class ImageTooLarge(ImageRejected):
    code = "image_too_large"
    status = 413
    message = "Ảnh quá lớn. Vui lòng gửi ảnh nhỏ hơn (tối đa 5 MB)."
