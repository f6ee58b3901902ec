"""Personal data is masked before staff or logs see it; times, hotline short numbers and ids are left alone."""

from __future__ import annotations

import pytest

from knowledge.privacy import mask_personal_data


@pytest.mark.parametrize(
    "text",
    ["045-671-4732", "09012345678", "090 1234 5678", "03(1234)5678", "+81-90-1234-5678", "電話は0456714732です"],
)
def test_phone_numbers_are_masked(text):
    assert "［電話番号］" in mask_personal_data(text)


@pytest.mark.parametrize(
    "text", ["retry at 12:10:08.012345+00:00", "#8008 か 189 へ", "会員番号 0123456", "2026年12月3日"]
)
def test_other_digits_are_kept(text):
    assert mask_personal_data(text) == text


def test_email_line_id_and_postcode_are_masked():
    masked = mask_personal_data("taro@example.jp U" + "a" * 32 + " 〒231-0005")
    assert masked == "［メール］ ［LINE ID］ ［郵便番号］"
