"""Developer commands: `madoguchi demo` (local demo against the emulator), `ask` (the whole pipeline offline) and
`eval` (evaluation on the labelled sets). Nothing in the running bot imports this package.
"""
