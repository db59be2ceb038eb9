"""The VapourSynth filter: ``plugin`` builds the graph and renders frames; ``timing`` maps output
frames to source windows and times; ``cache`` shares one encoded window between threads;
``streams`` gives each concurrent model call its CUDA stream; ``tiling`` splits big frames.

Import ``vsstvun.stvun`` (or ``vsstvun.filter.plugin.stvun``); this package imports nothing
eagerly, so its pure helpers load without VapourSynth.
"""
