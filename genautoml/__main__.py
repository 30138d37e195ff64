from genautoml.cli import run

run()
