"""Infrastructure shared by every feature: settings, database, errors."""
