from questionbank.settings.base import *  # noqa: F403
