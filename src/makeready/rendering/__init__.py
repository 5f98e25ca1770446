"""Rendering of results on the external APIs' wire: names, shapes and units live here."""
