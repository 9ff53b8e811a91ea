"""Running commands on servers: the Transport port and its adapters."""
