"""Bundled Procura themes (distribution ``procura``, import name ``procura_themes``)."""
