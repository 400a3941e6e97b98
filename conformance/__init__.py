"""Language-neutral conformance: vectors generated from the reference, a
subprocess JSON-lines runner that checks any client against them, and the
``altledger verify`` orchestrator that runs every machine check.
"""
