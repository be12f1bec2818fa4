"""Request and answer schemas of every service's RPCs, one module per service."""
