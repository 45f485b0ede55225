"""Wire dialects, one package each: typed schemas, a router, its error rendering (scoped to its
own routes), the task view and the callback body: ``minimax_v1``, ``vtrix``, ``openai`` and
``minimax_v2``."""
