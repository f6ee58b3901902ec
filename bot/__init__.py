"""madoguchi: the LINE front desk of a civic-activity support centre."""
