// OpenBLAS's CBLAS interface (Debian: libopenblas-dev puts cblas.h on the include path).
#include <cblas.h>
// Not in every cblas.h; OpenBLAS exports them.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
