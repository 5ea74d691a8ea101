"""ratsdoc: council papers and the Maßnahmenkatalog from validated data."""

__version__ = "0.1.0"
