"""Development host for the function app (not deployed; see ``.funcignore``)."""
