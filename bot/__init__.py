"""madoguchi: the LINE front desk of a civic-activity support centre."""

from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"  # staff-editable data: centre profile, guided paths, crisis lines
