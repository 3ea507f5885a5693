#include <cblas.h>
// openblas_set_num_threads lives in cblas.h of OpenBLAS; declared here too for builds whose cblas.h is generic.
void openblas_set_num_threads(int num_threads);
