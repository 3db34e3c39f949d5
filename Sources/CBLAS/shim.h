#include <cblas.h>
/* OpenBLAS thread control (declared in OpenBLAS's cblas.h, repeated for clarity). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
/* LAPACK's symmetric eigen-decomposition (divide and conquer), exported by libopenblas; Fortran
   calling convention, the trailing lengths are the hidden lengths of the character arguments. */
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w, double *work,
    const int *lwork, int *iwork, const int *liwork, int *info, unsigned long jobz_length, unsigned long uplo_length);
/* LAPACK's Householder QR and the explicit Q, exported by libopenblas. */
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work, const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda, const double *tau, double *work, const int *lwork,
    int *info);
