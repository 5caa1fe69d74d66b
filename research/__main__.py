import sys

from research.cli.main import main
from research.util.workers import shutdown

try:
    code = main()
finally:
    shutdown()   # stop idle helper processes now rather than in an exit handler
sys.exit(code)
