"""devtenant: an offline, Auth0-compatible tenant for development and tests."""

from .app import create_app
from .clock import Clock
from .config import Application, DatabaseConnection, SeedUser, TenantConfig, TokenLifetimes

__all__ = [
    "Application",
    "Clock",
    "DatabaseConnection",
    "SeedUser",
    "TenantConfig",
    "TokenLifetimes",
    "create_app",
]
