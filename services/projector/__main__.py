import asyncio

from services.projector.app import create_app

asyncio.run(create_app().run())
