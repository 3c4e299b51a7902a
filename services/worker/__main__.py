import asyncio

from services.worker.app import create_app

asyncio.run(create_app().run())
