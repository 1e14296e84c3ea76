"""What the app keeps of its own, beside the knowledge bases: conversations and accounts (SQLite)."""
