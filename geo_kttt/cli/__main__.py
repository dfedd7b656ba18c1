"""``python -m geo_kttt.cli``: the same as the ``geo-kttt`` console script."""

import sys

from . import main

sys.exit(main())
