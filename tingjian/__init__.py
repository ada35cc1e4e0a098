"""Tingjian (聽見): complaint management and social CRM."""
