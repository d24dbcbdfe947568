"""The data layer: database engine and sessions, models, migrations, market data and demo data."""
