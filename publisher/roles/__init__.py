"""Decide per country mention whether it is the story's subject or context: `core` reads each mention's sentence,
the other modules are the passes `publisher.classify` runs after it (origins, seats, guests, people, donors, ...)."""
