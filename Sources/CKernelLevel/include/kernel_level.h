#ifndef TANGLE_KERNEL_LEVEL_H
#define TANGLE_KERNEL_LEVEL_H

/// The widest kernels every C kernel family runs on this processor: 2 for AVX-512 (F, BW, VNNI)
/// with FMA, 1 for AVX2 with FMA, 0 for plain C. Chosen once, when the library is loaded, and
/// lowered by `TANGLE_INT8_PORTABLE=1` (at most AVX2) or `=2` (plain C) to measure the others, and
/// by `tangle_kernels_force`. Every level computes the same numbers.
int tangle_kernel_level(void);

/// Lowers the level for tests: 0 none, 1 at most AVX2, 2 plain C.
void tangle_kernels_force(int level);

#endif
