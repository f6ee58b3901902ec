"""Consultation booking: types, slots from recurrence rules, holds, bookings, waitlist, reminders."""
