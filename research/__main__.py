import sys

from research.util.workers import shutdown
from research.cli.main import main

try:
    code = main()
finally:
    shutdown()   # stop idle helper processes now rather than in an exit handler
sys.exit(code)
