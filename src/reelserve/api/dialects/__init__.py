"""Wire dialects, one package each: typed schemas, a router, its error rendering (scoped to its
own routes), the task view and the callback body. MiniMax v1 and the Vtrix gateway move here
from ``api/minimax.py`` and ``api/vtrix.py`` later."""
