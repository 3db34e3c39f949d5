#ifndef TANGLE_KERNEL_LEVEL_H
#define TANGLE_KERNEL_LEVEL_H

/// The widest kernels every C kernel family runs on this processor: 2 for AVX-512 (F, BW, VNNI)
/// with FMA, 1 for AVX2 with FMA, 0 for plain C. Chosen once, when the library is loaded, and
/// lowered by `TANGLE_INT8_PORTABLE=1` (at most AVX2) or `=2` (plain C) to measure the others, and
/// by `tangle_kernels_force`. Every level computes the same numbers.
int tangle_kernel_level(void);

/// Whether the AMX-INT8 tiles are used (Sapphire Rapids and later, with Linux's permission, at
/// level 2, unless `TANGLE_NO_AMX=1` or a forced level): the 8-bit search runs on them.
int tangle_amx_available(void);

/// Lowers the level for tests: 0 none, 1 at most AVX2, 2 plain C, 3 AVX-512 without AMX. The level is process-wide: a
/// test that compares levels calls it only between `tangle_kernels_hold` and
/// `tangle_kernels_release`, so that no other test lowers it meanwhile.
void tangle_kernels_force(int level);

/// Takes the process-wide kernel-level lock (waiting for any other holder) and forces `level`
/// (0: the machine's best). Tests hold it for the whole of a comparison between levels, so a
/// "plain C against SIMD" comparison can never silently become "SIMD against SIMD".
void tangle_kernels_hold(int level);

/// Restores the machine's best level and releases the lock taken by `tangle_kernels_hold`.
void tangle_kernels_release(void);

/* For the C kernel families: the function `name_avx512`, `name_avx2` or `name_plain` this level
   runs, to be called, e.g. `TANGLE_PICK(gemm)(a, b, c)`. Off x86 only `name_plain` exists. */
#if defined(__x86_64__)
#define TANGLE_PICK(name) (tangle_kernel_level() == 2 ? name##_avx512 : tangle_kernel_level() == 1 ? name##_avx2 : name##_plain)
#else
#define TANGLE_PICK(name) name##_plain
#endif

#endif
