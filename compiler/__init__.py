"""tailgen: compile one site model into a tailnet's policy, DNS and launch configs.

The import package is `compiler` (fixed by the design card); the command and the
distribution are `tailgen`. Submodules are imported lazily by the CLI so that
`tailgen --version` stays fast.
"""

__version__ = "0.1.0"
