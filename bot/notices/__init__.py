"""Opt-in notices (お知らせ配信): residents choose topics in the chat; staff send multicasts to exactly them."""
