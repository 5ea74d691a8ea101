"""ratsdoc: council papers and the Maßnahmenkatalog from validated data."""

import os

__version__ = "0.1.0"

# pydantic looks for plugins among the entry points of every installed distribution when the
# first model is built (30 ms of each start here); ratsdoc uses none. Set it to "" to allow them.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
