from casegen.cli import run

run()
