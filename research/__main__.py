import sys

from ._workers import shutdown
from .cli import main

try:
    code = main()
finally:
    shutdown()   # stop idle helper processes now rather than in an exit handler
sys.exit(code)
