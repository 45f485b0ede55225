"""The diffusers engine: Wan 2.1/2.2 and LTX-Video from local weights (extra ``diffusion``).

Importing this package imports neither torch nor diffusers; they load with the first pipeline.
"""

from reelserve.adapters.engines.diffusers.engine import DiffusersEngine
from reelserve.adapters.engines.diffusers.runtime import Runtime
from reelserve.adapters.engines.diffusers.spec import Family, Offload, OutputSize, PipelineSpec

__all__ = ["DiffusersEngine", "Family", "Offload", "OutputSize", "PipelineSpec", "Runtime"]
