"""`python -m compiler` runs the same CLI as the `tailgen` command."""

from compiler.entry import main

main()
