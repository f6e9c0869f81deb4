"""``python -m crmkit.synth_platforms``: write platform order exports (see :func:`crmkit.synth_platforms.main`)."""

from crmkit.synth_platforms import main

main()
