"""Guanjia (管家): investment promotion and project service for a city."""
