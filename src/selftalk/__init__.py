"""selftalk: speech-driven 3D talking faces (SelfTalk, ACM MM 2023) as a toolkit.

The heavy parts (torch, transformers) are imported by the submodules that need them, so that
``import selftalk`` and the command line start quickly.
"""

__version__ = "0.1.0"
