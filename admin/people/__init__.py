"""People: staff accounts and passwords (`accounts`), sign-in and sessions (`auth`), the users screen and residents'
records (export and erasure). Imports `admin.models`, `bot` services and the privacy domain.
"""
