"""`python -m bot` runs the madoguchi command."""

from bot.cli import main

main()
