"""What everything stands on: the database (Base, engine, sessions, the app clock), core models and migrations, the
centre profile and bot context, the conversation lock, the service bundle, and the single scheduler with its leader
election and jobs.

`db` imports nothing of the project (knowledge's models use its Base); the service bundle and the scheduler compose
the LINE gateway and the domain services' jobs.
"""
