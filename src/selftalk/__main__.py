import sys

from selftalk.cli import main

sys.exit(main())
