"""Tables of this service."""
import peewee

database = peewee.DatabaseProxy()

MODELS: list = []
MIGRATIONS: dict = {}
