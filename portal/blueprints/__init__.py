"""The portal's pages, one blueprint per module (each exposes ``bp``)."""
