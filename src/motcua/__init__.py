"""motcua: the one-stop public-service office (queue, dossiers, portal)."""

import os

# numpy's OpenBLAS starts one thread per core by default. The only BLAS work here is the face
# gallery's matrix-vector product (~3 ms at 100,000 templates on one core), which a second
# thread speeds up little while its spinning costs more CPU than it saves, and every server
# worker process would start its own threads. Set before numpy is first imported; an operator's
# own value wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
