"""Alembic's script folder for FlowStudio's database (env.py and versions/); the code
that applies it is flowstudio/adapters/migrate.py."""
