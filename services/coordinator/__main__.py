import asyncio

from services.coordinator.app import create_app

asyncio.run(create_app().run())
