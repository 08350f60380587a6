import sys

from ultrasound_consult.cli import main

sys.exit(main())
