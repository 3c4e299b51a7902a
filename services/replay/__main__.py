import typer

from services.replay.app import main

typer.run(main)
