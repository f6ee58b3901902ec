"""The monthly consultation report for the city: anonymous figures for a month beside the previous three months,
written as CSV tables and an A4 PDF (build → tables → csv / pdf; stored by the worker on the 1st of each month).
"""
