"""``python -m helpers.nbgrader_cli ARGS``: nbgrader's own command line (``nbgrader ARGS``),
in a process that imports ``helpers`` first, as every process of the kit does (see the
package's ``__init__``)."""
import sys

import helpers  # noqa: F401

if __name__ == "__main__":
    from nbgrader.apps.nbgraderapp import main

    sys.argv[0] = "nbgrader"
    sys.exit(main())
